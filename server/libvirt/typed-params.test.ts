import assert from "node:assert/strict";
import { test } from "node:test";
import { VIR_MIGRATE_PARAM_BANDWIDTH, VIR_MIGRATE_PARAM_MIGRATE_DISKS } from "./generated/constants";
import { decodeTypedParams, encodeTypedParams, typedParam, typedParamList } from "./typed-params";

test("decodes each typed parameter type to a plain value", () => {
  const params = encodeTypedParams({
    "state.state": typedParam.int(1),
    "vcpu.current": typedParam.uint(2),
    "cpu.time": typedParam.ullong(123456789012345678n),
    offset: typedParam.llong(-5n),
    load: typedParam.double(0.5),
    autostart: true,
    name: "web-1",
  });
  assert.deepEqual(decodeTypedParams(params), {
    "state.state": 1,
    "vcpu.current": 2,
    "cpu.time": 123456789012345678n,
    offset: -5n,
    load: 0.5,
    autostart: true,
    name: "web-1",
  });
});

test("an array value sends a field once per element; the list view keeps repeats", () => {
  const params = encodeTypedParams({
    [VIR_MIGRATE_PARAM_MIGRATE_DISKS]: ["vda", "vdb"],
    [VIR_MIGRATE_PARAM_BANDWIDTH]: typedParam.ullong(100n),
  });
  assert.deepEqual(typedParamList(params), [
    ["migrate_disks", "vda"],
    ["migrate_disks", "vdb"],
    ["bandwidth", 100n],
  ]);
  assert.equal(decodeTypedParams(params).migrate_disks, "vdb", "the object keeps the last value");
});
