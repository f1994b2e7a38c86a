import * as z from "zod/mini";

/**
 * A schema built the first time anything looks at it, typed exactly as the schema `build` returns.
 *
 * Why: the protocol's ~100 exported schemas, built when their modules load, were ~2.6 MiB of an idle
 * agent's RSS (natively, node 20 --lite-mode: the methods table alone, bundled and required, 41.0 → 44.0
 * MiB; zod/mini itself and one schema 41.4), while an idle agent validates the params of four methods.
 * The agent never checks its own results; the host needs every schema, and pays the build on first use.
 *
 * The proxy forwards every operation to the built schema: zod composes schemas by reading their `_zod`
 * internals and calls their methods as closures over the real instance, so a lazy schema inside another
 * behaves as the schema itself. One thing keys on identity: the metadata registry (`z.describe`, read by
 * `z.toJSONSchema` for PROTOCOL.md), so what the built schema registered is registered for the proxy too.
 */
export function lazy<T extends z.core.$ZodType>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => {
    if (built === undefined) {
      built = build();
      const meta = z.globalRegistry.get(built);
      if (meta !== undefined) z.globalRegistry.add(proxy, meta);
    }
    return built;
  };
  const proxy: T = new Proxy(Object.create(null) as T, {
    get: (_target, key) => Reflect.get(schema(), key),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    // A proxy may not report a property as non-configurable unless its own target has it.
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
  return proxy;
}
