import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { methods } from "../../protocol/methods";
import { notifications } from "../../protocol/notifications";
import { fitDiskUsage, fitMetrics, fitNetworkInfo, fitPackageList, fitProcessList, fitServiceList, fitSystemInfo, fitTelemetry, fitUsers } from "./fit";

const examples = {
  system: methods.get_system_info.example.result,
  network: methods.get_network_info.example.result,
  disks: methods.get_disk_usage.example.result,
  metrics: methods.get_metrics.example.result,
  processes: methods.list_processes.example.result,
  users: methods.get_users.example.result,
};
const many = <T>(count: number, make: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => make(i));

/** What a real but large guest reads: each answer is one the host would refuse unless cut. */
const large = {
  system: { ...examples.system, os: { ...examples.system.os, pretty_name: "P".repeat(1_000) } },
  network: {
    interfaces: many(500, (i) => ({
      ...examples.network.interfaces[0]!,
      name: `veth${i}`,
      addresses: many(100, (a) => ({ family: "ipv6" as const, address: `fd00::${i}:${a}`, prefix: 64 })),
    })),
  },
  disks: { filesystems: many(300, (i) => ({ ...examples.disks.filesystems[0]!, mountpoint: `/snap/core/${i}` })) },
  metrics: { ...examples.metrics, disks: many(100, (i) => ({ ...examples.metrics.disks[0]!, device: `sd${i}` })) },
  processes: { total: 1, processes: [{ ...examples.processes.processes[0]!, command: `java ${"-Dx=y ".repeat(20_000)}` }] },
  users: many(2_000, (i) => ({ ...examples.users.sessions[0]!, user: `user${i}` })),
};

describe("fitting answers to the protocol bounds", () => {
  it("a large guest gets answers the host accepts, flagged as truncated", () => {
    assert.equal(methods.get_disk_usage.result.safeParse(large.disks).success, false, "uncut, the host would refuse it");
    const fitted = {
      get_system_info: fitSystemInfo(large.system),
      get_network_info: fitNetworkInfo(large.network),
      get_disk_usage: fitDiskUsage(large.disks),
      get_metrics: fitMetrics(large.metrics),
      list_processes: fitProcessList(large.processes),
      get_users: fitUsers(large.users),
    };
    for (const [name, answer] of Object.entries(fitted)) {
      methods[name as keyof typeof fitted].result.parse(answer);
      assert.equal(answer.truncated, true, name);
    }
    notifications.telemetry.params.parse(fitted.get_metrics);
    assert.equal(fitted.get_disk_usage.filesystems.length, 256);
    assert.equal(fitted.get_disk_usage.filesystems[0]!.mountpoint, "/snap/core/0", "the first entries are kept");
    assert.equal(fitted.get_network_info.interfaces[0]!.addresses.length, 64);
    assert.equal(fitted.list_processes.processes[0]!.command.length, 4_096);
  });

  it("answers within the bounds come back unchanged, without the flag", () => {
    assert.deepEqual(fitSystemInfo(examples.system), examples.system);
    assert.deepEqual(fitNetworkInfo(examples.network), examples.network);
    assert.deepEqual(fitDiskUsage(examples.disks), examples.disks);
    assert.deepEqual(fitMetrics(examples.metrics), examples.metrics);
    assert.deepEqual(fitProcessList(examples.processes), examples.processes);
    assert.deepEqual(fitUsers(examples.users.sessions), examples.users);
  });
});

describe("fitting telemetry", () => {
  const telemetry = notifications.telemetry.example;

  it("keeps the first 32 filesystems (the fullest: the list comes sorted) and cuts mount points to 256 characters", () => {
    const filesystems = many(40, (i) => ({ mount: `/m${i}`, total_bytes: 100, used_bytes: 99 - i, used_percent: 99 - i }));
    filesystems[0]!.mount = `/${"x".repeat(1_000)}`;
    const large = { ...telemetry, filesystems };
    assert.equal(notifications.telemetry.params.safeParse(large).success, false, "uncut, the host would refuse it");
    const fitted = fitTelemetry(large);
    notifications.telemetry.params.parse(fitted);
    assert.equal(fitted.truncated, true);
    assert.equal(fitted.filesystems!.length, 32);
    assert.equal(fitted.filesystems![0]!.mount.length, 256);
    assert.deepEqual(
      fitted.filesystems!.slice(1).map((fs) => fs.mount),
      many(31, (i) => `/m${i + 1}`),
    );
  });

  it("telemetry within the bounds comes back unchanged; without filesystems it stays without", () => {
    assert.deepEqual(fitTelemetry(telemetry), telemetry);
    const { filesystems: _, ...metrics } = telemetry;
    assert.equal("filesystems" in fitTelemetry(metrics), false);
  });
});

describe("fitting services and packages", () => {
  it("sorts by name, keeps the first `limit`, cuts descriptions, versions and states, and flags what was cut", () => {
    const service = (name: string, description: string | null) => ({
      name,
      description,
      active_state: "active",
      sub_state: "running",
      enabled_state: "enabled",
    });
    const services = fitServiceList("systemd", [service("b.service", "d".repeat(1000)), service("a.service", null), service("c.service", null)], 2);
    assert.deepEqual(
      services.services.map((s) => [s.name, s.description?.length ?? null]),
      [
        ["a.service", null],
        ["b.service", 256],
      ],
    );
    assert.equal(services.truncated, true);
    methods.list_services.result.parse(services);
    assert.equal(fitServiceList("systemd", [service("a.service", "x")], 10).truncated, undefined);

    const packages = fitPackageList("dpkg", [{ name: "n".repeat(300), version: "1".repeat(300), arch: "a".repeat(100) }], 10);
    assert.deepEqual(
      [packages.packages[0]!.name.length, packages.packages[0]!.version.length, packages.packages[0]!.arch?.length, packages.truncated],
      [256, 256, 64, true],
    );
    methods.list_packages.result.parse(packages);
  });
});
