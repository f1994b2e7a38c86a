import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runAgent, startHost, waitFor, type Host } from "./harness";

describe("start-up and configuration", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-config-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const withConfig = async (text: string) => {
    const file = path.join(dir, `config-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(file, text);
    return runAgent(["--config", file, "--device", path.join(dir, "no-such-socket")]);
  };

  it("exits 78 with the offending key for an invalid config", async () => {
    const badValue = await withConfig('{"allowed_paths": ["relative/dir"], "telemetry_interval_s": -1}');
    assert.equal(badValue.code, 78);
    assert.match(badValue.stderr, /allowed_paths\.0: must be an absolute path/);
    assert.match(badValue.stderr, /telemetry_interval_s/);
    const unknownKey = await withConfig('{"exec_enabeld": true}');
    assert.equal(unknownKey.code, 78);
    assert.match(unknownKey.stderr, /exec_enabeld/);
    const notJson = await withConfig("{ exec_enabled: true ");
    assert.equal(notJson.code, 78);
    assert.match(notJson.stderr, /invalid JSON/);
  });

  it("exits 78 when a config named on the command line is missing, and 64 on a bad option", async () => {
    const missing = await runAgent(["--config", path.join(dir, "absent.json")]);
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /absent\.json: cannot read/);
    assert.equal((await runAgent(["--frobnicate"])).code, 64);
  });
});

describe("host connection", () => {
  let host: Host;
  before(async () => {
    host = await startHost({ config: { telemetry_interval_s: 0.2 } });
  });
  after(() => host.stop());

  it("announces agent.ready on start", async () => {
    const ready = await host.line("agent.ready", (m) => m.method === "agent.ready");
    assert.equal((ready.params as { pid: number }).pid, host.agent.pid);
    assert.equal("id" in ready, false);
  });

  it("sends telemetry notifications one after another, each covering the time since the one before", async () => {
    type Telemetry = { timestamp: string; interval_ms: number; memory: { total_bytes: number } };
    const telemetry = (m: Record<string, unknown>) => (m.method === "telemetry" ? (m.params as Telemetry) : undefined);
    const first = telemetry(await host.line("telemetry", (m) => telemetry(m) !== undefined))!;
    const second = telemetry(await host.line("the next telemetry", (m) => (telemetry(m)?.timestamp ?? "") > first.timestamp))!;
    assert.equal(second.interval_ms, Date.parse(second.timestamp) - Date.parse(first.timestamp));
    assert.equal(second.memory.total_bytes, os.totalmem(), "the agent runs on this machine: its memory");
  });

  it("reconnects after the host goes away and announces agent.ready again", async () => {
    const first = host.socket;
    first.destroy();
    const second = await host.nextConnection();
    assert.notEqual(second, first);
    await host.line("agent.ready after reconnect", (m) => m.method === "agent.ready");
    const client = await host.client();
    assert.equal((await client.call("ping")).pong, true);
  });

  it("logs every file request with its request id", async () => {
    const client = await host.client();
    await client.call("file_stat", { path: host.allowed }).catch(() => undefined);
    await client.call("file_stat", { path: "/etc/passwd" }).catch(() => undefined);
    const lines = await waitFor("two audit lines", () => {
      const audit = host
        .stderr()
        .split("\n")
        .filter((line) => line.includes("audit") && line.includes("method=file_stat"));
      return audit.length >= 2 ? audit : undefined;
    });
    assert.match(lines[0]!, /id=\d+ .*outcome=ok/);
    assert.match(lines[1]!, /outcome=error code=-32001/);
  });

  it("stops cleanly on SIGTERM", async () => {
    host.agent.kill("SIGTERM");
    const [code] = await once(host.agent, "exit");
    assert.equal(code, 0);
  });
});

describe("defaults without a config file", () => {
  const installed = "/etc/kvmmanager-agent/config.json";
  const skip = existsSync(installed) ? `the agent is installed on this machine (${installed}): its config is not the defaults` : false;
  it("runs with exec off and file access limited to /tmp and /var/tmp", { skip }, async () => {
    const host = await startHost({ noConfig: true });
    try {
      const client = await host.client();
      const info = await client.call("get_agent_info");
      assert.equal(info.capabilities.includes("exec"), false);
      assert.equal(info.capabilities.includes("telemetry"), true);
      await assert.rejects(client.call("file_stat", { path: "/etc/hostname" }), /outside allowed_paths/);
      assert.equal((await client.call("file_stat", { path: "/tmp" })).type, "directory");
    } finally {
      await host.stop();
    }
  });
});
