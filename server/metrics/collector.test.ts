import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeTypedParams, encodeTypedParams, typedParam, uuidFromString, VIR_ERR_NO_SUPPORT } from "../libvirt";
import { memoryUsedKiB } from "./rates";
import { libvirtError } from "../libvirt/testing/errors";
import { MetricsCollector, type MetricsConnection } from "./collector";
import { guestFiguresFrom, GuestTelemetryStore, MAX_GUEST_FILESYSTEMS } from "./guest-telemetry";
import type { MetricsTick } from "./sample";

const UUID = "6f1c2a9e-0000-4000-8000-000000000001";
const RUNNING = 1;
const SHUTOFF = 5;

interface FakeVm {
  state: number;
  cpuNs: bigint;
  rdBytes: bigint;
  wrBytes: bigint;
  rdReqs: bigint;
  wrReqs: bigint;
  rx: bigint;
  tx: bigint;
}

/** A libvirt connection answering from counters the test moves; `hang` makes every call wait forever. */
function fakeHost(vm: FakeVm, o: { hang?: boolean; memoryStats?: boolean } = {}) {
  const host = { busy: 0n, idle: 1000n, calls: 0 };
  const never = new Promise<never>(() => {});
  const conn = {
    state: "open",
    connectGetAllDomainStats: async () => {
      host.calls += 1;
      if (o.hang) return never;
      const p = encodeTypedParams({
        "state.state": typedParam.int(vm.state),
        "cpu.time": typedParam.ullong(vm.cpuNs),
        "vcpu.current": typedParam.uint(2),
        "balloon.current": typedParam.ullong(1048576n),
        "balloon.available": typedParam.ullong(1000000n),
        "balloon.unused": typedParam.ullong(400000n),
        "block.count": typedParam.uint(2),
        "block.0.rd.bytes": typedParam.ullong(vm.rdBytes),
        "block.0.wr.bytes": typedParam.ullong(vm.wrBytes),
        "block.0.rd.reqs": typedParam.ullong(vm.rdReqs),
        "block.0.wr.reqs": typedParam.ullong(vm.wrReqs),
        "block.1.rd.bytes": typedParam.ullong(100n),
        "net.count": typedParam.uint(1),
        "net.0.rx.bytes": typedParam.ullong(vm.rx),
        "net.0.tx.bytes": typedParam.ullong(vm.tx),
      });
      return [{ dom: { name: "web-1", uuid: uuidFromString(UUID), id: 1 }, params: p }];
    },
    nodeGetCpuStats: async ({ nparams }: { nparams: number }) => {
      if (o.hang) return never;
      const fields = [
        { field: "kernel", value: host.busy / 2n },
        { field: "user", value: host.busy / 2n },
        { field: "idle", value: host.idle },
        { field: "iowait", value: 0n },
      ];
      return { params: nparams === 0 ? [] : fields, nparams: 4 };
    },
    nodeGetMemoryStats: async ({ nparams }: { nparams: number }) => {
      if (o.memoryStats === false) throw libvirtError(VIR_ERR_NO_SUPPORT, "this function is not supported by the connection driver: virNodeGetMemoryStats");
      const fields = [
        { field: "total", value: 8_000_000n },
        { field: "free", value: 1_000_000n },
        { field: "buffers", value: 500_000n },
        { field: "cached", value: 2_500_000n },
      ];
      if (nparams !== 0 && nparams !== 4) throw new Error("nparams in virNodeMemoryStats must be 4");
      return { params: nparams === 0 ? [] : fields, nparams: 4 };
    },
    nodeGetInfo: async () => ({ memory: 16_000_000n }),
    nodeGetFreeMemory: async () => 4_000_000n * 1024n,
    connectListAllStoragePools: async () => ({ pools: [{ name: "images", uuid: Buffer.alloc(16) }], ret: 1 }),
    storagePoolGetInfo: async () => ({ state: 2, capacity: 1000n, allocation: 250n, available: 750n }),
  };
  return { conn: conn as unknown as MetricsConnection, host };
}

const vm0 = (): FakeVm => ({ state: RUNNING, cpuNs: 0n, rdBytes: 0n, wrBytes: 0n, rdReqs: 0n, wrReqs: 0n, rx: 0n, tx: 0n });

function collector(
  conns: { id: string; conn: MetricsConnection }[],
  clock: { t: number },
  extra: Partial<ConstructorParameters<typeof MetricsCollector>[0]> = {},
) {
  return new MetricsCollector({ hosts: () => conns, timeoutMs: 1000, now: () => clock.t, log: () => {}, ...extra });
}

test("rates are over the real interval between two samples (a late tick divides by the longer time)", async () => {
  const vm = vm0();
  const { conn, host } = fakeHost(vm);
  const clock = { t: 1_000_000 };
  const c = collector([{ id: "local", conn }], clock);
  const [first] = await c.collect();
  assert.equal(first!.vms[0]!.values["vm.cpu"], null, "one sample: no rate yet");
  assert.equal(first!.vms[0]!.values["vm.memory.used"], 600000 * 1024, "memory needs no second sample");
  assert.equal(first!.host.values["host.cpu"], null);
  // 7 s later instead of 5: 3.5 s of CPU on 2 vCPUs = 25 %.
  clock.t += 7000;
  Object.assign(vm, { cpuNs: 3_500_000_000n, rdBytes: 7000n, wrBytes: 14_000n, rdReqs: 70n, wrReqs: 140n, rx: 700n, tx: 7n });
  host.busy = 300n;
  host.idle = 1700n;
  const [second] = await c.collect();
  const v = second!.vms[0]!.values;
  assert.equal(v["vm.cpu"], 25);
  assert.equal(v["vm.disk.read"], 1000);
  assert.equal(v["vm.disk.write"], 2000);
  assert.equal(v["vm.disk.readOps"], 10);
  assert.equal(v["vm.disk.writeOps"], 20);
  assert.equal(v["vm.net.rx"], 100);
  assert.equal(v["vm.net.tx"], 1);
  assert.equal(v["vm.memory.total"], 1048576 * 1024);
  assert.equal(second!.host.values["host.cpu"], 30);
  assert.equal(second!.host.values["host.memory.total"], 8_000_000 * 1024);
  assert.equal(second!.host.values["host.memory.used"], 4_000_000 * 1024, "page cache and buffers count as free");
  assert.deepEqual(second!.host.pools, [{ name: "images", capacityBytes: 1000, allocationBytes: 250 }]);
  assert.equal(second!.host.at, clock.t);
  assert.deepEqual(c.latestTick("local"), second);
});

test("a counter that went backwards (the VM restarted) gives no rate; the next interval does", async () => {
  const vm = vm0();
  vm.cpuNs = 10_000_000_000n;
  vm.rx = 5000n;
  const { conn } = fakeHost(vm);
  const clock = { t: 0 };
  const c = collector([{ id: "local", conn }], clock);
  await c.collect();
  clock.t += 5000;
  Object.assign(vm, { cpuNs: 1_000_000_000n, rx: 100n });
  const [back] = await c.collect();
  assert.equal(back!.vms[0]!.values["vm.cpu"], null);
  assert.equal(back!.vms[0]!.values["vm.net.rx"], null);
  clock.t += 5000;
  Object.assign(vm, { cpuNs: 2_000_000_000n, rx: 600n });
  const [after] = await c.collect();
  assert.equal(after!.vms[0]!.values["vm.cpu"], 10);
  assert.equal(after!.vms[0]!.values["vm.net.rx"], 100);
});

test("a stopped VM has no rates or memory in use, and its counters start over when it runs again", async () => {
  const vm = vm0();
  const { conn } = fakeHost(vm);
  const clock = { t: 0 };
  const c = collector([{ id: "local", conn }], clock);
  await c.collect();
  vm.state = SHUTOFF;
  clock.t += 5000;
  const [stopped] = await c.collect();
  assert.equal(stopped!.vms[0]!.running, false);
  assert.equal(stopped!.vms[0]!.values["vm.memory.used"], null);
  vm.state = RUNNING;
  vm.cpuNs = 1_000_000_000n;
  clock.t += 5000;
  const [restarted] = await c.collect();
  assert.equal(restarted!.vms[0]!.values["vm.cpu"], null, "no rate across the stop");
});

test("a host that does not answer yields an unreachable tick with no VMs, beside a host that does", async () => {
  const silent = fakeHost(vm0(), { hang: true });
  const fine = fakeHost(vm0());
  const logged: string[] = [];
  const clock = { t: 0 };
  const c = collector(
    [
      { id: "far", conn: silent.conn },
      { id: "local", conn: fine.conn },
    ],
    clock,
    { timeoutMs: 20, log: (m) => logged.push(m) },
  );
  const seen: MetricsTick[] = [];
  c.onTick((t) => seen.push(t));
  const [far, local] = await c.collect();
  assert.equal(far!.host.reachable, false);
  assert.deepEqual(far!.vms, [], "its VMs are unknown, not reported as stopped");
  assert.deepEqual(far!.host.values, { "host.cpu": null, "host.memory.used": null, "host.memory.total": null });
  assert.equal(local!.host.reachable, true);
  assert.equal(local!.vms.length, 1);
  assert.deepEqual(seen.map((t) => [t.host.hostId, t.host.reachable]).sort(), [
    ["far", false],
    ["local", true],
  ]);
  await c.collect();
  assert.deepEqual(
    logged.filter((m) => m.includes('"far"')),
    ['metrics: host "far": no answer within 0.02 s; the host counts as unreachable until it answers'],
    "said once, not every tick",
  );
});

test("a closed connection is unreachable at once, without a call", async () => {
  const { conn, host } = fakeHost(vm0());
  (conn as { state: string }).state = "closed";
  const [tick] = await collector([{ id: "local", conn }], { t: 0 }).collect();
  assert.equal(tick!.host.reachable, false);
  assert.equal(host.calls, 0);
});

test("a listener that throws does not stop the others or the tick", async () => {
  const { conn } = fakeHost(vm0());
  const c = collector([{ id: "local", conn }], { t: 0 });
  let heard = 0;
  c.onTick(() => {
    throw new Error("listener bug");
  });
  const off = c.onTick(() => void (heard += 1));
  await c.collect();
  off();
  await c.collect();
  assert.equal(heard, 1);
});

test("without NODE_GET_MEMORY_STATS (libvirt's test driver) host memory comes from node info and free memory", async () => {
  const { conn } = fakeHost(vm0(), { memoryStats: false });
  const [tick] = await collector([{ id: "local", conn }], { t: 0 }).collect();
  assert.equal(tick!.host.values["host.memory.total"], 16_000_000 * 1024);
  assert.equal(tick!.host.values["host.memory.used"], 12_000_000 * 1024);
});

test("guest figures from telemetry are stored as guest-sourced values; stale ones are dropped", async () => {
  const { conn } = fakeHost(vm0());
  const clock = { t: 100_000 };
  const store = new GuestTelemetryStore();
  const c = collector([{ id: "local", conn }], clock, { guest: (h, u, now) => store.get(h, u, now) });
  store.record("local", UUID, { interval_ms: 5000, cpu: { percent: 42, count: 2 }, memory: { total_bytes: 1000, available_bytes: 250 } }, clock.t);
  const [tick] = await c.collect();
  const v = tick!.vms[0]!.values;
  assert.equal(v["vm.guest.cpu"], 42);
  assert.equal(v["vm.guest.memory"], 75);
  assert.equal(v["vm.guest.filesystem"], null, "this telemetry names no filesystem");
  clock.t += 60_000;
  const [later] = await c.collect();
  assert.equal(later!.vms[0]!.values["vm.guest.cpu"], null, "a minute without telemetry: no current guest figures");
});

test("what a guest sends is bounded: out-of-range or non-numeric figures are refused, filesystems capped", () => {
  assert.equal(guestFiguresFrom({ cpu: { percent: 1e9 } }, 0), null);
  assert.equal(guestFiguresFrom({ cpu: { percent: -1 } }, 0), null);
  assert.equal(guestFiguresFrom({ cpu: { percent: "50" } }, 0), null);
  assert.equal(guestFiguresFrom("garbage", 0), null);
  assert.equal(guestFiguresFrom({ memory: { total_bytes: 100, available_bytes: 500 } }, 0), null, "more available than total");
  const many = Array.from({ length: 1000 }, (_, i) => ({ mount: `/m${i}`, used_percent: i % 100 }));
  const figures = guestFiguresFrom(
    { cpu: { percent: 5 }, filesystems: [{ mount: "x".repeat(10_000), used_percent: 99 }, { mount: "/", used_percent: 300 }, ...many] },
    0,
  );
  assert.equal(figures!.filesystems.length, MAX_GUEST_FILESYSTEMS);
  assert.equal(figures!.filesystems[0]!.mount, "/m0", "too long a mount and a percentage over 100 are dropped");
  assert.equal(guestFiguresFrom({ cpu: { percent: 5 }, interval_ms: 1e12 }, 0)!.intervalMs, 600_000, "a claimed interval is capped");
});

test("memory in use: the balloon's figures first, then the agent's in-guest share of the VM's memory, QEMU's resident size last", () => {
  const params = (fields: Record<string, bigint>) =>
    decodeTypedParams(encodeTypedParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typedParam.ullong(v)]))));
  const balloon = params({ "balloon.current": 524288n, "balloon.available": 500000n, "balloon.unused": 300000n, "balloon.rss": 631808n });
  assert.equal(memoryUsedKiB(balloon, 10), 200000, "the balloon driver's figure wins");
  const noDriver = params({ "balloon.current": 524288n, "balloon.rss": 631808n });
  assert.equal(memoryUsedKiB(noDriver, 32.5), 170394, "32.5 % of 512 MiB, not QEMU's 617 MiB");
  assert.equal(memoryUsedKiB(noDriver), 631808, "without an agent: QEMU's resident size");
  assert.equal(memoryUsedKiB(params({})), null);
});
