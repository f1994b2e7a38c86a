/**
 * One instance per process. Next.js bundles route handlers (and so everything they import) into
 * a module graph of its own, separate from the one server/main.ts loads; state that both must
 * share — the event bus, libvirt connections — is kept on globalThis under a registered symbol.
 */
export function processSingleton<T>(key: string, create: () => T): T {
  const slot = Symbol.for(`kvmmanager.${key}`);
  const globals = globalThis as Record<symbol, unknown>;
  if (!(slot in globals)) globals[slot] = create();
  return globals[slot] as T;
}
