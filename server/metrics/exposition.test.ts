import { test } from "node:test";
import assert from "node:assert/strict";
import { renderExposition, EXPOSITION_CONTENT_TYPE } from "./exposition";
import { METRICS, type HostSample, type MetricsTick, type VmSample } from "./sample";
import { parseExposition } from "@/server/testing/prometheus-text";

const AT = Date.UTC(2026, 10, 27, 12, 0, 0);

function host(hostId: string, reachable: boolean, over: Partial<HostSample["values"]> = {}): HostSample {
  const values = reachable
    ? { "host.cpu": 12.5, "host.memory.used": 3 * 1024 ** 3, "host.memory.total": 8 * 1024 ** 3 }
    : { "host.cpu": null, "host.memory.used": null, "host.memory.total": null };
  return {
    hostId,
    at: AT,
    reachable,
    values: { ...values, ...over },
    pools: reachable ? [{ name: "default", capacityBytes: 1e11, allocationBytes: 4e10 }] : [],
  };
}

function vm(hostId: string, name: string, uuid: string, over: Partial<VmSample> = {}): VmSample {
  return {
    hostId,
    uuid,
    name,
    at: AT,
    running: true,
    values: {
      "vm.cpu": 42,
      "vm.memory.used": 256 * 1024 ** 2,
      "vm.memory.total": 512 * 1024 ** 2,
      "vm.disk.read": 1000,
      "vm.disk.write": 2000,
      "vm.disk.readOps": 3,
      "vm.disk.writeOps": 4,
      "vm.net.rx": 500,
      "vm.net.tx": 600,
      "vm.guest.cpu": 40,
      "vm.guest.memory": 55.5,
      "vm.guest.filesystem": 71,
    },
    filesystems: [
      { mount: "/", usedPercent: 71 },
      { mount: "/var", usedPercent: 12 },
    ],
    ...over,
  };
}

const U1 = "11111111-1111-4111-8111-111111111111";
const U2 = "22222222-2222-4222-8222-222222222222";

function ticks(): MetricsTick[] {
  return [
    { host: host("local", true), vms: [vm("local", "web-1", U1)] },
    { host: host("far", false), vms: [] },
  ];
}

test("the exposition of two hosts parses strictly, with HELP and TYPE once per family and every family a gauge", () => {
  const text = renderExposition(ticks());
  const families = parseExposition(text);
  for (const spec of Object.values(METRICS)) assert.ok(families.has(spec.prometheus), `${spec.prometheus} missing`);
  for (const f of families.values()) {
    assert.equal(f.type, "gauge", f.name);
    assert.ok(f.help && f.help.length > 10, `${f.name} has no help`);
  }
  // The parser refuses a second HELP/TYPE; count them in the text too, so the check does not rest on the parser alone.
  for (const name of families.keys()) {
    assert.equal(text.split("\n").filter((l) => l.startsWith(`# HELP ${name} `)).length, 1, name);
    assert.equal(text.split("\n").filter((l) => l.startsWith(`# TYPE ${name} `)).length, 1, name);
  }
  assert.ok(text.endsWith("\n"));
  assert.equal(EXPOSITION_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

test("VM figures carry host, vm and uuid labels, per-filesystem use a mount label, host figures a host label", () => {
  const families = parseExposition(renderExposition(ticks()));
  assert.deepEqual(families.get("kvmm_vm_cpu_percent")!.samples, [
    { name: "kvmm_vm_cpu_percent", labels: { host: "local", vm: "web-1", uuid: U1 }, value: 42, timestamp: null },
  ]);
  assert.deepEqual(
    families.get("kvmm_vm_guest_filesystem_used_percent")!.samples.map((s) => [s.labels, s.value]),
    [
      [{ host: "local", vm: "web-1", uuid: U1, mount: "/" }, 71],
      [{ host: "local", vm: "web-1", uuid: U1, mount: "/var" }, 12],
    ],
  );
  assert.deepEqual(
    families.get("kvmm_host_memory_total_bytes")!.samples.map((s) => [s.labels, s.value]),
    [[{ host: "local" }, 8 * 1024 ** 3]],
  );
  assert.deepEqual(
    families.get("kvmm_host_pool_allocation_bytes")!.samples.map((s) => [s.labels, s.value]),
    [[{ host: "local", pool: "default" }, 4e10]],
  );
  assert.deepEqual(
    families.get("kvmm_vm_running")!.samples.map((s) => s.value),
    [1],
  );
});

test("kvmm_host_up is 1 for a host that answered and 0 for one that did not, whose figures are left out", () => {
  const families = parseExposition(renderExposition(ticks()));
  assert.deepEqual(
    families.get("kvmm_host_up")!.samples.map((s) => [s.labels.host, s.value]),
    [
      ["local", 1],
      ["far", 0],
    ],
  );
  assert.deepEqual(
    families.get("kvmm_host_cpu_percent")!.samples.map((s) => s.labels.host),
    ["local"],
  );
});

test("a null figure is left out, not written as 0", () => {
  const fresh = vm("local", "fresh", U2, { values: { ...vm("local", "x", U2).values, "vm.cpu": null, "vm.disk.read": null, "vm.guest.cpu": null } });
  const text = renderExposition([{ host: host("local", true, { "host.cpu": null }), vms: [fresh] }]);
  const families = parseExposition(text);
  for (const name of ["kvmm_vm_cpu_percent", "kvmm_vm_disk_read_bytes_per_second", "kvmm_vm_guest_cpu_percent", "kvmm_host_cpu_percent"]) {
    assert.deepEqual(families.get(name)!.samples, [], name);
  }
  assert.equal(families.get("kvmm_vm_disk_write_bytes_per_second")!.samples.length, 1);
  assert.doesNotMatch(text, /^kvmm_vm_cpu_percent\{/m);
});

test("label values with backslashes, double quotes and line feeds are escaped and read back unchanged", () => {
  const name = 'we"ird\\name\nx';
  const mount = '/mnt/a "b"\\c\nd';
  const text = renderExposition([{ host: host("local", true), vms: [vm("local", name, U1, { filesystems: [{ mount, usedPercent: 5 }] })] }]);
  assert.match(text, /vm="we\\"ird\\\\name\\nx"/);
  // Each sample stays on one line: the line feed inside the value is written as \n.
  for (const line of text.split("\n").filter((l) => l.startsWith("kvmm_vm_"))) assert.match(line, /^kvmm_vm_\w+\{.*\} \S+$/);
  const families = parseExposition(text);
  assert.equal(families.get("kvmm_vm_cpu_percent")!.samples[0]!.labels.vm, name);
  assert.equal(families.get("kvmm_vm_guest_filesystem_used_percent")!.samples[0]!.labels.mount, mount);
});

test("with no ticks the exposition is the families' metadata alone, still valid", () => {
  const families = parseExposition(renderExposition([]));
  assert.ok(families.size >= Object.keys(METRICS).length + 1);
  for (const f of families.values()) assert.deepEqual(f.samples, [], f.name);
});

test("a host without its own figures (a reader whose grants do not cover it) writes only its VMs", () => {
  const families = parseExposition(renderExposition([{ host: null, vms: [vm("local", "web-1", U1)] }]));
  assert.deepEqual(families.get("kvmm_host_up")!.samples, []);
  assert.equal(families.get("kvmm_vm_cpu_percent")!.samples.length, 1);
});

test("the test's parser refuses what the format does not allow", () => {
  const bad: [string, RegExp][] = [
    ["a 1", /line feed/],
    ["# TYPE a gauge\n# TYPE a gauge\na 1\n", /second TYPE/],
    ["# HELP a x\n# HELP a y\n", /second HELP/],
    ["a 1\n# TYPE a gauge\n", /after its samples/],
    ['a{x="1} 1\n', /unterminated/],
    ['a{x="\\t"} 1\n', /invalid escape/],
    ['a{x="1",x="2"} 1\n', /twice/],
    ["a one\n", /not a float/],
    ["a 1 1.5\n", /not an integer/],
    ["a 1\nb 1\na 2\n", /not together/],
    ['a{x="1"} 1\na{x="1"} 2\n', /twice/],
    ["1a 1\n", /metric name/],
    ["# TYPE a gauges\n", /unknown type/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExposition(text), why, JSON.stringify(text));
  assert.equal(parseExposition('# some comment\na{x="\\"\\\\\\n"} +Inf 1700000000000\n').get("a")!.samples[0]!.labels.x, '"\\\n');
});
