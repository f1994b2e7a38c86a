/**
 * State and classes shared by the two copies of `server/` in one process — the only place that
 * works around them (docs/ARCHITECTURE.md, "Two module graphs").
 *
 * server/main.ts loads `server/` as ordinary modules; Next.js bundles the route handlers and pages,
 * and with them a second copy of every module they import. Whatever both copies must share (the
 * event bus, libvirt connections, the guest hub, caches, the sign-in gate) is kept on globalThis
 * under a registered symbol; an error or object that crosses from one copy to the other answers
 * `instanceof` by a brand instead of by class identity.
 */

function slotKey(key: string): symbol {
  return Symbol.for(`kvmmanager.${key}`);
}

const globals = globalThis as Record<symbol, unknown>;

/** One instance per process, whichever copy of the calling module asks first. */
export function processSingleton<T>(key: string, create: () => T): T {
  const slot = slotKey(key);
  if (!(slot in globals)) globals[slot] = create();
  return globals[slot] as T;
}

/** A process-wide value that can also be replaced or removed (a service started and stopped). */
export function processSlot<T>(key: string) {
  const slot = slotKey(key);
  return {
    get: (): T | undefined => globals[slot] as T | undefined,
    set: (value: T): void => {
      globals[slot] = value;
    },
    clear: (): void => {
      delete globals[slot];
    },
  };
}

/** The brand a class marks its instances with, the same symbol in every copy of the module. */
export function brandSymbol(name: string): symbol {
  return Symbol.for(`kvmmanager.brand.${name}`);
}

/** `instanceof` that survives two copies of a module: use in the class's `Symbol.hasInstance`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
