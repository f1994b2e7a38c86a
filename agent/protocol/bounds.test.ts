import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { base64Length, clip, LIST_MAX, MAX_EXEC_OUTPUT_BYTES, TEXT_MAX } from "./bounds";
import { exampleMetrics } from "./examples";
import { methodNames, methods } from "./methods";
import { notifications } from "./notifications";
import type { Telemetry } from "./schemas/system";

interface Json {
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  enum?: unknown;
  const?: unknown;
  format?: string;
  pattern?: string;
  properties?: Record<string, Json>;
  items?: Json;
  anyOf?: Json[];
  additionalProperties?: Json | boolean;
}

/** Paths of the strings and lists in a JSON schema that have no upper bound. */
function unbounded(schema: Json, at = "$"): string[] {
  const found: string[] = [];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const isText = types.includes("string") && schema.enum === undefined && schema.const === undefined;
  // A format (date-time) or a pattern (a SHA-256) fixes the length by itself.
  if (isText && schema.maxLength === undefined && !schema.format && !schema.pattern) found.push(at);
  if (schema.type === "array" && schema.maxItems === undefined) found.push(at);
  for (const [name, child] of Object.entries(schema.properties ?? {})) found.push(...unbounded(child, `${at}.${name}`));
  if (schema.items) found.push(...unbounded(schema.items, `${at}[]`));
  for (const option of schema.anyOf ?? []) found.push(...unbounded(option, at));
  if (typeof schema.additionalProperties === "object") found.push(...unbounded(schema.additionalProperties, `${at}.*`));
  return found;
}

function jsonSchema(schema: z.core.$ZodType): Json {
  return z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as Json;
}

/** A telemetry notification at every bound: the largest a guest can make the host pass on. */
function largestTelemetry(): Telemetry {
  const name = "n".repeat(TEXT_MAX.name);
  const rate = 1.2345678901234567e300;
  return {
    ...exampleMetrics,
    truncated: true,
    disks: Array.from({ length: LIST_MAX.metricDisks }, () => ({
      device: name,
      read_bytes_per_s: rate,
      write_bytes_per_s: rate,
      reads_per_s: rate,
      writes_per_s: rate,
    })),
    network: Array.from({ length: LIST_MAX.metricInterfaces }, () => ({ interface: name, rx_bytes_per_s: rate, tx_bytes_per_s: rate })),
    filesystems: Array.from({ length: LIST_MAX.telemetryFilesystems }, () => ({
      mount: name,
      total_bytes: Number.MAX_SAFE_INTEGER,
      used_bytes: Number.MAX_SAFE_INTEGER,
      used_percent: 99.99999999999999,
    })),
  };
}

describe("protocol bounds", () => {
  it("the check below finds an unbounded string and list", () => {
    const loose = z.object({ name: z.string(), tags: z.array(z.string().max(8)).nullable(), when: z.iso.datetime(), id: z.union([z.string(), z.number()]) });
    assert.deepEqual(unbounded(jsonSchema(loose)), ["$.name", "$.tags", "$.id"]);
  });

  for (const name of methodNames) {
    it(`${name}: every string and list in its result has an upper bound`, () => {
      assert.deepEqual(unbounded(jsonSchema(methods[name].result)), []);
    });
  }

  for (const [name, spec] of Object.entries(notifications)) {
    it(`notification ${name}: every string and list in its params has an upper bound`, () => {
      assert.deepEqual(unbounded(jsonSchema(spec.params)), []);
    });
  }

  it("a telemetry notification at every bound (32 filesystems too) is valid and under 64 KiB, one with 40,000 disks is not", () => {
    const largest = largestTelemetry();
    notifications.telemetry.params.parse(largest);
    const bytes = JSON.stringify({ jsonrpc: "2.0", method: "telemetry", params: largest }).length;
    assert.ok(bytes < 64 * 1024, `${bytes} bytes`);
    const disks = Array.from({ length: 40_000 }, (_, i) => ({ ...exampleMetrics.disks[0]!, device: `fake${i}` }));
    assert.equal(notifications.telemetry.params.safeParse({ ...exampleMetrics, disks }).success, false);
  });

  it("exec output is bounded by the highest output cap, in either encoding", () => {
    const result = { ...methods.exec_command.example.result, encoding: "base64" as const };
    const full = Buffer.alloc(MAX_EXEC_OUTPUT_BYTES, 0xff).toString("base64");
    assert.equal(full.length, base64Length(MAX_EXEC_OUTPUT_BYTES));
    assert.equal(methods.exec_command.result.safeParse({ ...result, stdout: full }).success, true);
    assert.equal(methods.exec_command.result.safeParse({ ...result, stdout: `${full}AAAA` }).success, false);
  });

  it("clip keeps whole characters", () => {
    assert.equal(clip("abc", 5), "abc");
    assert.equal(clip("abcdef", 3), "abc");
    assert.equal(clip("ab😀", 3), "ab", "half a surrogate pair is dropped, not kept");
  });
});
