import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentClient } from "../protocol/client";
import { PROTOCOL_VERSION } from "../protocol/version";
import { startHost, waitFor, type Host } from "./harness";

/** Every call goes through AgentClient, which checks each result against the method table's schema. */
describe("information methods", () => {
  let host: Host;
  let client: AgentClient;
  before(async () => {
    host = await startHost();
    client = await host.client();
  });
  after(() => host.stop());

  it("ping and sync", async () => {
    assert.equal((await client.call("ping")).pong, true);
    assert.deepEqual(await client.call("sync", { id: 12345 }), { id: 12345 });
  });

  it("get_agent_info announces the protocol and what this config enables", async () => {
    const info = await client.call("get_agent_info");
    assert.equal(info.protocol_version, PROTOCOL_VERSION);
    assert.equal(info.platform.os, "linux");
    assert.equal(info.pid, host.agent.pid);
    assert.deepEqual(info.capabilities.sort(), [
      "core",
      "disk.usage",
      "exec",
      "file.read",
      "file.write",
      "metrics",
      "network.info",
      "power",
      "processes",
      "system.info",
      "users",
    ]);
  });

  it("get_system_info reads os-release, kernel and memory", async () => {
    const info = await client.call("get_system_info");
    assert.equal(info.hostname, os.hostname());
    assert.equal(info.kernel.release, os.release());
    assert.equal(info.cpu.count, os.cpus().length);
    const osRelease = await readFile("/etc/os-release", "utf8");
    assert.ok(info.os.id !== null && osRelease.includes(`ID=${info.os.id}`));
    assert.ok(info.memory.total_bytes > 0 && info.memory.available_bytes <= info.memory.total_bytes);
  });

  it("get_network_info lists the loopback interface with its address", async () => {
    const { interfaces } = await client.call("get_network_info");
    const lo = interfaces.find((candidate) => candidate.name === "lo");
    assert.ok(lo, "lo is listed");
    assert.ok(lo.addresses.some((address) => address.address === "127.0.0.1" && address.prefix === 8));
  });

  it("get_disk_usage reports the filesystem of /", async () => {
    const { filesystems } = await client.call("get_disk_usage");
    const root = filesystems.find((fs) => fs.mountpoint === "/");
    assert.ok(root, "/ is listed");
    assert.ok(root.total_bytes > 0 && root.used_bytes + root.free_bytes === root.total_bytes);
    const all = await client.call("get_disk_usage", { include_pseudo: true });
    assert.ok(all.filesystems.some((fs) => fs.fstype === "proc"));
  });

  it("get_metrics gives CPU, memory and rates over an interval", async () => {
    const first = await client.call("get_metrics");
    const second = await client.call("get_metrics");
    assert.ok(first.interval_ms > 0 && second.interval_ms > 0);
    assert.ok(second.memory.total_bytes > 0);
    assert.ok(second.network.some((net) => net.interface === "lo"));
  });

  it("list_processes finds the agent itself and honours sort and limit", async () => {
    const all = await client.call("list_processes", { sort_by: "pid", limit: 10000 });
    const me = all.processes.find((process) => process.pid === host.agent.pid);
    assert.ok(me, "the agent is listed");
    assert.match(me.command, /kvmm-agent\.cjs/);
    assert.equal(me.user, os.userInfo().username);
    assert.ok(me.rss_bytes > 0);
    const top = await client.call("list_processes", { sort_by: "memory", limit: 3 });
    assert.equal(top.processes.length, Math.min(3, top.total));
    assert.ok(top.processes[0]!.rss_bytes >= top.processes[top.processes.length - 1]!.rss_bytes);
  });

  it("get_users returns the sessions in utmp (none is fine)", async () => {
    const { sessions } = await client.call("get_users");
    assert.ok(Array.isArray(sessions));
  });
});

describe("power methods", () => {
  let host: Host;
  before(async () => {
    // Never power off the test machine: the config names harmless commands instead.
    host = await startHost({
      config: (allowed) => ({
        power_commands: {
          shutdown: ["/bin/sh", "-c", `echo shutdown > ${path.join(allowed, "power")}`],
          reboot: ["/bin/sh", "-c", `echo reboot > ${path.join(allowed, "power")}`],
        },
      }),
    });
  });
  after(() => host.stop());

  it("answers first, then runs the shutdown and reboot commands", async () => {
    const client = await host.client();
    const marker = path.join(host.allowed, "power");
    assert.deepEqual(await client.call("shutdown"), { accepted: true, method: "config" });
    assert.equal(await waitFor("the shutdown command", () => readFile(marker, "utf8").catch(() => undefined)), "shutdown\n");
    assert.deepEqual(await client.call("reboot", { force: true }), { accepted: true, method: "config" });
    await waitFor("the reboot command", async () => ((await readFile(marker, "utf8")) === "reboot\n" ? true : undefined));
  });
});
