import { test } from "node:test";
import assert from "node:assert/strict";
import { VIR_DOMAIN_REBOOT_ACPI_POWER_BTN, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT } from "../libvirt";
import { POWER_ACTIONS, VM_STATES, canDo, type PowerAction, type VmState } from "./power";
import { runPowerAction, type PowerConnection, type PowerTarget } from "./power-actions";

interface Call {
  method: string;
  flags: number | undefined;
}

/** A connection that records each call (procedure and flags) and can refuse chosen ones. */
function recordingTarget(refuse: (call: Call) => boolean = () => false): { vm: PowerTarget; calls: Call[] } {
  const calls: Call[] = [];
  const dom = { name: "web-1", uuid: Buffer.alloc(16), id: 1 };
  const conn = new Proxy({} as PowerConnection, {
    get: (_target, method: string) => async (args: { flags?: number }) => {
      const call = { method, flags: args.flags };
      calls.push(call);
      if (refuse(call)) throw new Error(`${method} refused`);
    },
  });
  return { vm: { conn, dom }, calls };
}

async function callsFor(action: PowerAction, state: VmState): Promise<Call[]> {
  const { vm, calls } = recordingTarget();
  await runPowerAction(vm, action, state);
  return calls;
}

test("reboot asks libvirt for an ACPI reboot with the reboot call's own flag", async () => {
  assert.deepEqual(await callsFor("reboot", "running"), [{ method: "domainReboot", flags: VIR_DOMAIN_REBOOT_ACPI_POWER_BTN }]);
});

test("resume wakes a guest that suspended itself, and resumes one that was paused", async () => {
  assert.deepEqual(await callsFor("resume", "pmsuspended"), [{ method: "domainPmWakeup", flags: 0 }]);
  assert.deepEqual(await callsFor("resume", "paused"), [{ method: "domainResume", flags: undefined }]);
});

test("every other action makes exactly one call, to its own procedure", async () => {
  const expected: Record<Exclude<PowerAction, "reboot" | "resume">, string> = {
    start: "domainCreateWithFlags",
    shutdown: "domainShutdownFlags",
    forceOff: "domainDestroyFlags",
    reset: "domainReset",
    pause: "domainSuspend",
  };
  for (const [action, method] of Object.entries(expected) as [PowerAction, string][]) {
    for (const state of VM_STATES.filter((s) => canDo(action, s))) {
      assert.deepEqual(
        (await callsFor(action, state)).map((c) => c.method),
        [method],
        `${action} from ${state}`,
      );
    }
  }
  assert.deepEqual([...Object.keys(expected), "reboot", "resume"].sort(), [...POWER_ACTIONS].sort(), "every action is covered by a test here");
});

test("shutdown presses the ACPI button first and falls back to the guest agent only when that is refused", async () => {
  assert.deepEqual(await callsFor("shutdown", "running"), [{ method: "domainShutdownFlags", flags: VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN }]);
  const { vm, calls } = recordingTarget((c) => c.flags === VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
  await runPowerAction(vm, "shutdown", "running");
  assert.deepEqual(
    calls.map((c) => c.flags),
    [VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT],
  );
});
