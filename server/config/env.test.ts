import { test } from "node:test";
import assert from "node:assert/strict";
import { env } from "./env";

// env() keeps the first valid reading, so the refusals come first and the accepted value last.
test("KVMM_HOST_TIMEOUT_S outside 0.1 to 120 seconds is refused", () => {
  for (const bad of ["0", "0.05", "121", "soon"]) {
    process.env.KVMM_HOST_TIMEOUT_S = bad;
    assert.throws(() => env(), /KVMM_HOST_TIMEOUT_S/, bad);
  }
  delete process.env.KVMM_HOST_TIMEOUT_S;
});

test("KVMM_METRICS_INTERVAL_S must be a whole number of seconds from 1 to 300; it and KVMM_HOST_TIMEOUT_S are 5 when unset", () => {
  for (const bad of ["0", "301", "2.5", "often"]) {
    process.env.KVMM_METRICS_INTERVAL_S = bad;
    assert.throws(() => env(), /KVMM_METRICS_INTERVAL_S/, bad);
  }
  delete process.env.KVMM_METRICS_INTERVAL_S;
  assert.equal(env().KVMM_METRICS_INTERVAL_S, 5);
  assert.equal(env().KVMM_HOST_TIMEOUT_S, 5);
});
