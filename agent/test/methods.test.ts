import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { AgentClient } from "../protocol/client";
import { PROTOCOL_VERSION } from "../protocol/version";
import { startHost, waitFor, type Host } from "./harness";

/** Bytes received on the loopback interface so far, from the kernel's counters. */
async function loopbackRxBytes(): Promise<number> {
  const line = (await readFile("/proc/net/dev", "utf8")).split("\n").find((l) => l.trim().startsWith("lo:"));
  assert.ok(line, "no lo in /proc/net/dev");
  return Number(line.split(":")[1]!.trim().split(/\s+/)[0]);
}

/** Sends `bytes` through a TCP connection on 127.0.0.1 and resolves once all of them arrived. */
async function sendOverLoopback(bytes: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const received = new Promise<void>((resolve) => {
      server.once("connection", (socket) => {
        let got = 0;
        socket.on("data", (chunk: Buffer) => {
          got += chunk.length;
          if (got >= bytes) resolve();
        });
      });
    });
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    client.end(Buffer.alloc(bytes));
    await received;
    client.destroy();
  } finally {
    server.close();
  }
}

/** Keeps this process on a CPU until it has used `ms` of CPU time (a CPU-time deadline, not a wall-clock one). */
function burnCpu(ms: number): number {
  const start = process.cpuUsage();
  let used = 0;
  while (used < ms) {
    const { user, system } = process.cpuUsage(start);
    used = (user + system) / 1000;
  }
  return used;
}

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
      "file.manage",
      "file.read",
      "file.write",
      "fs.freeze",
      // Onlining hot-plugged vCPUs and memory is on by default on Linux; self-update needs the launcher, absent here.
      "hotplug.online",
      "metrics",
      "network.info",
      "packages",
      "power",
      "processes",
      "services",
      "system.info",
      // sync_time is on by default, set_user_password off (issue 15 item 4).
      "time.sync",
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
    assert.equal(info.memory.total_bytes, os.totalmem());
    assert.ok(info.memory.available_bytes <= info.memory.total_bytes);
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

  it("get_metrics covers the time since the previous call: its CPU percent and loopback rate account for what ran and moved then", async () => {
    // The agent reads this machine's /proc: what this process does between two calls is in the second answer.
    const rxBefore = await loopbackRxBytes();
    const asked = Date.now();
    await client.call("get_metrics");
    const answered = Date.now();
    const sent = 1024 * 1024;
    await sendOverLoopback(sent);
    const burnedMs = burnCpu(200);
    const askedAgain = Date.now();
    const second = await client.call("get_metrics");
    const rxAfter = await loopbackRxBytes();
    const answeredAgain = Date.now();

    assert.ok(
      second.interval_ms >= askedAgain - answered && second.interval_ms <= answeredAgain - asked,
      `interval ${second.interval_ms} ms, between ${askedAgain - answered} and ${answeredAgain - asked} ms`,
    );
    const lo = second.network.find((net) => net.interface === "lo");
    assert.ok(lo, "lo is listed");
    const loBytes = (lo.rx_bytes_per_s * second.interval_ms) / 1000;
    assert.ok(
      loBytes >= sent - 1 && loBytes <= rxAfter - rxBefore + 1,
      `${loBytes} bytes on lo: at least the ${sent} sent, at most the ${rxAfter - rxBefore} counted`,
    );
    // Busy CPU time on all CPUs over the interval, from the percentage: at least what this process burned
    // (half of it, for the 10 ms ticks /proc/stat counts in).
    const busyMs = (second.cpu.percent / 100) * second.interval_ms * second.cpu.count;
    assert.ok(
      busyMs >= burnedMs / 2,
      `${second.cpu.percent} % of ${second.cpu.count} CPUs over ${second.interval_ms} ms, while this process used ${burnedMs} ms`,
    );
    assert.equal(second.cpu.count, os.cpus().length);
    assert.equal(second.memory.total_bytes, os.totalmem());
  });

  it("list_processes finds the agent itself and honours sort and limit", async () => {
    const all = await client.call("list_processes", { sort_by: "pid", limit: 10000 });
    const me = all.processes.find((process) => process.pid === host.agent.pid);
    assert.ok(me, "the agent is listed");
    assert.match(me.command, /kvmm-agent\.cjs/);
    assert.equal(me.user, os.userInfo().username);
    const status = await readFile(`/proc/${host.agent.pid}/status`, "utf8");
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) * 1024;
    assert.ok(me.rss_bytes >= rss / 2 && me.rss_bytes <= rss * 2, `${me.rss_bytes} bytes resident, /proc says ${rss}`);
    const top = await client.call("list_processes", { sort_by: "memory", limit: 3 });
    assert.equal(top.processes.length, Math.min(3, top.total));
    assert.ok(top.processes[0]!.rss_bytes >= top.processes[top.processes.length - 1]!.rss_bytes);
  });

  it("list_packages reads this machine's dpkg database: the same packages and versions as dpkg-query", async () => {
    const listed = await client.call("list_packages", {});
    assert.equal(listed.manager, "dpkg");
    const { stdout } = await promisify(execFile)("dpkg-query", ["--show", "--showformat=${Package} ${Version} ${db:Status-Status}\n"], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const installed = stdout
      .split("\n")
      .filter((line) => line.endsWith(" installed"))
      .map((line) => line.split(" ").slice(0, 2).join(" "));
    assert.deepEqual(listed.packages.map((p) => `${p.name} ${p.version}`).sort(), installed.sort());
    assert.ok(listed.packages.some((p) => p.name === "dpkg" && p.arch !== null));
  });

  it("get_users returns the sessions in utmp, as who lists them", async () => {
    const { sessions } = await client.call("get_users");
    const { stdout } = await promisify(execFile)("who");
    const listed = stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(/\s+/).slice(0, 2).join(" "));
    assert.deepEqual(sessions.map((s) => `${s.user} ${s.terminal}`).sort(), listed.sort());
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
    // The shell truncates the marker before it writes, so a read can see it empty: wait for the whole word.
    // A spawned shell can take seconds on a loaded 2-core CI machine, hence the wide deadline.
    const markerSays = (word: string) =>
      waitFor(`the ${word} command`, async () => ((await readFile(marker, "utf8").catch(() => "")) === `${word}\n` ? true : undefined), 60_000);
    assert.deepEqual(await client.call("shutdown"), { accepted: true, method: "config" });
    await markerSays("shutdown");
    assert.deepEqual(await client.call("reboot", { force: true }), { accepted: true, method: "config" });
    await markerSays("reboot");
  });
});
