import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../protocol/errors";
import { Agent } from "../agent";
import { parseConfig } from "../config";
import { Logger, type LogSink } from "../log";
import type { Platform } from "../platform/platform";
import { buildHandlers } from "../rpc/handlers";
import type { RequestContext } from "../rpc/dispatcher";
import type { Transport, TransportEvents } from "../transport/transport";
import { Freezer } from "./freezer";

const silent: LogSink = { write: () => {} };
const log = new Logger("error", silent);
const config = parseConfig(JSON.stringify({ telemetry_interval_s: 0 }), "test", ["/tmp"]);

function platform(os: "linux" | "windows"): Platform {
  const unused = () => Promise.reject(new Error("not used by this test"));
  return {
    os,
    devicePath: () => "/dev/null",
    defaultConfigPath: "/dev/null",
    defaultAllowedPaths: ["/tmp"],
    systemInfo: unused,
    networkInfo: unused,
    diskUsage: unused,
    metrics: unused,
    telemetry: unused,
    processes: unused,
    users: unused,
    powerCommand: unused,
    killProcessTree: () => {},
  };
}

class IdleTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "unix-socket" as const;
  start(): void {}
  async write(): Promise<void> {}
  async stop(): Promise<void> {}
}

const context: RequestContext = { id: 1, method: "fs_freeze", afterResponse: () => {} };

describe("fs_freeze in the agent", () => {
  it("answers Unsupported on Windows and leaves fs.freeze out of the capabilities", async () => {
    const handlers = buildHandlers({ config, platform: platform("windows"), log, agentInfo: () => agent.info(), freezer: null });
    const agent = new Agent({ config, platform: platform("windows"), transport: new IdleTransport(), log });
    await assert.rejects(
      Promise.resolve().then(() => handlers.fs_freeze({}, context)),
      (error: RpcError) => {
        assert.equal(error.code, ErrorCode.Unsupported);
        assert.match(error.message, /not supported on windows guests \(it would need VSS\)/);
        return true;
      },
    );
    assert.equal(agent.info().capabilities.includes("fs.freeze"), false);
    assert.equal(new Agent({ config, platform: platform("linux"), transport: new IdleTransport(), log }).info().capabilities.includes("fs.freeze"), true);
  });

  it("thaws what is frozen when the agent stops, and names it in thaw order for the crash handler", async () => {
    const calls: string[] = [];
    const freezer = new Freezer({
      readMountInfo: async () => "23 1 254:1 / /srv rw - ext4 /dev/vda1 rw\n24 23 254:16 / /srv/data rw - xfs /dev/vdb rw\n",
      run: async (action, mount) => {
        calls.push(`${action} ${mount}`);
        return null;
      },
      clock: { now: () => new Date(0), setTimer: () => 1, clearTimer: () => {} },
      log,
    });
    const agent = new Agent({ config, platform: platform("linux"), transport: new IdleTransport(), log, freezer });
    await freezer.freeze(60);
    assert.deepEqual(agent.frozenMounts(), ["/srv", "/srv/data"]);
    await agent.stop();
    assert.deepEqual(calls, ["freeze /srv/data", "freeze /srv", "unfreeze /srv", "unfreeze /srv/data"]);
    assert.deepEqual(agent.frozenMounts(), []);
    assert.equal(freezer.status().frozen, false);
  });
});
