import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { fieldErrors as fieldErrorsIn, type ErrorLike, type FieldMap } from "./error-words";
import { englishErrors } from "./english-errors";

const fieldErrors = (error: ErrorLike | null, map: FieldMap) => fieldErrorsIn(error, map, englishErrors);

const fields: FieldMap = {
  name: { id: "name", label: "Name" },
  vcpus: { id: "vcpus", label: "vCPUs" },
  memoryMiB: { id: "memory", label: "Memory", unit: "MiB" },
  "disks.*.sizeGiB": { id: "disk", label: "Disk size", unit: "GiB" },
};

/** The issues a real schema gives, as the server sends them in `data.zodIssues`. */
function refusal(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  assert.ok(!result.success);
  return { message: z.prettifyError(result.error), data: { zodIssues: result.error.issues } };
}

const schema = z.object({
  name: z.string().regex(/^[a-z]+$/, "1–64 letters"),
  vcpus: z.number().int().min(1).max(64),
  memoryMiB: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024),
  disks: z.array(z.object({ sizeGiB: z.number().positive().max(65536) })),
  other: z.number().int(),
});

test("each refused field gets one message in words, with units, next to it; zod's own text never shows", () => {
  const errors = fieldErrors(refusal(schema, { name: "Web 1", vcpus: 1.5, memoryMiB: 2 ** 30, disks: [{ sizeGiB: 0 }], other: 2 ** 60 }), fields);
  assert.deepEqual(errors.byField, {
    name: "Name must be 1–64 letters.",
    vcpus: "vCPUs must be a whole number.",
    memory: "Memory must be at most 1 TiB.",
    disk: "Disk size must be more than 0.",
  });
  assert.equal(errors.form, "Other is too large.");
  for (const message of [...Object.values(errors.byField), errors.form]) {
    assert.doesNotMatch(message ?? "", /9007199254740991|Invalid input|expected|✖/);
  }
});

test("a bound in MiB reads in the largest exact unit", () => {
  const errors = fieldErrors(refusal(schema, { name: "a", vcpus: 0, memoryMiB: 32, disks: [{ sizeGiB: 100000 }], other: 1 }), fields);
  assert.deepEqual(errors.byField, {
    vcpus: "vCPUs must be at least 1.",
    memory: "Memory must be at least 64 MiB.",
    disk: "Disk size must be at most 64 TiB.",
  });
  assert.equal(errors.form, null);
});

test("a missing field is required; a server error naming a field goes next to it, any other to the form", () => {
  assert.equal(fieldErrors(refusal(schema, { vcpus: 1, memoryMiB: 64, disks: [], other: 1 }), fields).byField.name, "Name is required.");
  const named = { message: 'VM "a" on host "local": 64 vCPUs is more than this host has; it has 2 CPUs', data: { zodIssues: null, field: "vcpus" } };
  assert.deepEqual(fieldErrors(named, fields), { byField: { vcpus: named.message }, form: null });
  assert.deepEqual(fieldErrors({ message: "libvirt is down", data: null }, fields), { byField: {}, form: "libvirt is down" });
  assert.deepEqual(fieldErrors(null, fields), { byField: {}, form: null });
});

test("the same refusal reads in German, numbers and sizes in German form", () => {
  const t = createTranslator({ locale: "de", messages: MESSAGES.de, namespace: "errors" });
  const errors = fieldErrorsIn(
    refusal(schema, { name: "a", vcpus: 0, memoryMiB: 32, disks: [{ sizeGiB: 100000 }], other: 1 }),
    { ...fields, memoryMiB: { id: "memory", label: "Arbeitsspeicher", unit: "MiB" } },
    t,
  );
  assert.equal(errors.byField.memory, "Arbeitsspeicher muss mindestens 64 MiB betragen.");
  const half = fieldErrorsIn(refusal(z.object({ memoryMiB: z.number().max(1536) }), { memoryMiB: 4096 }), fields, t);
  assert.equal(half.byField.memory, "Memory darf höchstens 1.536 MiB betragen.");
});
