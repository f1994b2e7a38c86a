import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import "./common";
import { lazy } from "./lazy";

test("a lazy schema is built on first use, once, and parses, composes and extends as the schema itself", () => {
  let builds = 0;
  const port = lazy(() => {
    builds += 1;
    return z.int().check(z.minimum(1), z.maximum(65535));
  });
  const endpoint = lazy(() => z.strictObject({ host: z.string(), port }));
  assert.equal(builds, 0, "defining them builds nothing");
  assert.deepEqual(endpoint.parse({ host: "web-1", port: 22 }), { host: "web-1", port: 22 });
  assert.equal(builds, 1);
  assert.equal(port.safeParse(0).success, false);
  assert.equal(endpoint.safeParse({ host: "web-1", port: 70000 }).success, false);
  assert.equal(endpoint.safeParse({ host: "web-1", port: 22, extra: 1 }).success, false, "strictObject stays strict");
  const named = z.extend(endpoint, { name: z.optional(z.string()) });
  assert.deepEqual(named.parse({ host: "h", port: 1, name: "n" }), { host: "h", port: 1, name: "n" });
  assert.equal(z.optional(port).parse(undefined), undefined);
  assert.equal(builds, 1, "built once");
});

test("what a lazy schema's description says reaches the JSON Schema, read through the schema and through one holding it", () => {
  const when = lazy(() => z.iso.datetime().check(z.describe("ISO 8601 UTC")));
  const entry = lazy(() => z.object({ at: when }));
  const at = z.toJSONSchema(entry).properties?.["at"];
  assert.ok(at && typeof at === "object");
  assert.equal(at.description, "ISO 8601 UTC");
  assert.equal(at.format, "date-time");
  assert.equal(z.toJSONSchema(when).description, "ISO 8601 UTC");
});
