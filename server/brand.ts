/**
 * `instanceof` that survives two copies of a module. Next.js bundles route handlers separately
 * from server/main.ts, so an error thrown by a shared object (a libvirt connection, the guest hub)
 * may come from the other copy of its class. A class marked here answers `instanceof` by a
 * process-wide symbol instead of by identity.
 */
export function brandSymbol(name: string): symbol {
  return Symbol.for(`kvmmanager.brand.${name}`);
}

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
