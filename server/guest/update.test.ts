import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentUpdateStatus } from "@/agent/protocol";
import { readUpdateState } from "@/agent/src/update/state";
import { Uploads } from "@/agent/src/update/upload";
import { ServiceError } from "@/server/errors";
import type { GuestStatus } from "./hub";
import type { GuestVm } from "./service";
import { pushAgentUpdate, readAgentBundle, type AgentBundle, type UpdateHub } from "./update";
import { loadSigningKey } from "./update-signing";

const CONTEXT = 'VM "web-1" on host "local"';
const vm = { hostId: "local", conn: {}, dom: { name: "web-1" }, context: CONTEXT } as unknown as GuestVm;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-update-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function bundleFile(version: string, body = "console.log('agent');\n"): AgentBundle {
  const file = path.join(dir, `bundle-${version}.cjs`);
  writeFileSync(file, `#!/usr/bin/env node\n// kvmmanager-agent-version ${version}\n${body.repeat(200)}`);
  return readAgentBundle(file);
}

function status(info: { version: string; pid: number; update?: AgentUpdateStatus; capabilities?: string[] }): GuestStatus {
  return {
    hostId: "local",
    uuid: "u-1",
    name: "web-1",
    running: true,
    agent: {
      state: "connected",
      since: "",
      transport: null,
      info: {
        version: info.version,
        pid: info.pid,
        started_at: `2026-11-28T07:00:0${info.pid % 10}.000Z`,
        capabilities: info.capabilities ?? ["update"],
        limits: { max_request_bytes: 16 * 1024 * 1024, max_file_chunk_bytes: 4096, exec_output_max_bytes: 1, exec_max_timeout_ms: 1 },
        update: info.update ?? { state: "none", running_version: info.version, packaged_version: "0.1.0" },
      } as never,
      telemetry: null,
      telemetryAt: null,
      lastError: null,
      handshakes: 1,
      dropped: 0,
      telemetryDropped: 0,
      channel: true,
    },
    qga: { channel: false, connected: false },
  };
}

/**
 * A hub whose agent is the real upload code (agent/src/update/upload.ts) with the public half of
 * the host's key; after the commit it "restarts" as `afterCommit` says.
 */
function fixture(options: { keyFile: string; afterCommit: (installed: string) => GuestStatus; chunkMax?: number }) {
  const stateDir = path.join(dir, `state-${Math.random().toString(36).slice(2)}`);
  const pem = path.join(stateDir, "..", `${path.basename(stateDir)}.pem`);
  const uploads = new Uploads({
    stateDir,
    keyPath: pem,
    chunkMaxBytes: options.chunkMax ?? 4096,
    runningVersion: "0.1.0",
    running: null,
    now: Date.now,
    newId: () => "u-1",
  });
  writeFileSync(pem, createPublicKey(readFileSync(options.keyFile, "utf8")).export({ type: "spki", format: "pem" }));
  const calls: string[] = [];
  let current = status({ version: "0.1.0", pid: 100 });
  const hub: UpdateHub = {
    track: async () => current,
    status: () => current,
    call: (async (_host: string, _uuid: string, method: string, params: never) => {
      calls.push(method);
      if (method === "agent_update_begin") return uploads.begin(params);
      if (method === "agent_update_chunk") return uploads.chunk(params);
      if (method === "agent_update_abort") return uploads.abort(params);
      if (method === "agent_update_commit") {
        const result = await uploads.commit(params);
        current = options.afterCommit(readUpdateState(stateDir)?.current?.file ?? "");
        return { ...result, restart_in_ms: 200 };
      }
      throw new Error(`unexpected ${method}`);
    }) as never,
  };
  return { hub, calls, stateDir };
}

describe("pushAgentUpdate", () => {
  let keyFile: string;
  before(() => {
    keyFile = path.join(dir, "agent-update-key.pem");
  });

  it("makes the signing key once, 0600, and reads the same key again", () => {
    const first = loadSigningKey(keyFile);
    assert.equal((readFileSync(keyFile, "utf8").match(/PRIVATE KEY/g) ?? []).length, 2);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.deepEqual(loadSigningKey(keyFile).export({ format: "jwk" }), first.export({ format: "jwk" }));
  });

  it("uploads in order with progress, commits, and answers confirmed once the restarted agent reports the version", async () => {
    const bundle = bundleFile("0.2.0");
    let installedBytes: Buffer | undefined;
    const { hub, calls } = fixture({
      keyFile,
      afterCommit: (file) => {
        installedBytes = readFileSync(file);
        return status({ version: "0.2.0", pid: 200, update: { state: "confirmed", running_version: "0.2.0", packaged_version: "0.1.0" } });
      },
    });
    const progress: number[] = [];
    let committedAfter = -1;
    const outcome = await pushAgentUpdate(vm, bundle, {
      key: loadSigningKey(keyFile),
      hub,
      onProgress: (done) => progress.push(done),
      onCommit: () => (committedAfter = progress.length),
      pollMs: 1,
    });
    assert.deepEqual(outcome, { state: "confirmed", version: "0.2.0", previousVersion: "0.1.0" });
    assert.deepEqual(installedBytes, bundle.bytes);
    assert.equal(progress.at(-1), bundle.size);
    assert.equal(committedAfter, progress.length, "onCommit comes after the last chunk");
    assert.equal(calls.filter((c) => c === "agent_update_chunk").length, Math.ceil(bundle.size / 4096));
    assert.equal(createHash("sha256").update(installedBytes!).digest("hex"), bundle.sha256);
  });

  it("reports a rollback with the agent's reason", async () => {
    const bundle = bundleFile("0.3.0");
    const { hub } = fixture({
      keyFile,
      afterCommit: () =>
        status({
          version: "0.1.0",
          pid: 300,
          update: { state: "rolled_back", running_version: "0.1.0", packaged_version: "0.1.0", failed_version: "0.3.0", reason: "exited with code 3" },
        }),
    });
    assert.deepEqual(await pushAgentUpdate(vm, bundle, { key: loadSigningKey(keyFile), hub, pollMs: 1 }), {
      state: "rolled_back",
      failedVersion: "0.3.0",
      runningVersion: "0.1.0",
      reason: "exited with code 3",
    });
  });

  it("a cancel before the commit drops the upload in the guest (agent_update_abort) and commits nothing", async () => {
    const bundle = bundleFile("0.2.1");
    const { hub, calls, stateDir } = fixture({ keyFile, afterCommit: () => assert.fail("must not commit") });
    const controller = new AbortController();
    await assert.rejects(
      pushAgentUpdate(vm, bundle, { key: loadSigningKey(keyFile), hub, signal: controller.signal, onProgress: () => controller.abort() }),
      (err: unknown) => err instanceof ServiceError && /cancelled/.test(err.message) && err.message.startsWith(CONTEXT),
    );
    assert.equal(calls.at(-1), "agent_update_abort");
    assert.ok(!calls.includes("agent_update_commit"));
    assert.equal(readUpdateState(stateDir), null);
  });

  it("a bundle signed by another key is refused by the agent before any chunk", async () => {
    const otherKey = path.join(dir, "other.pem");
    writeFileSync(otherKey, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    const { hub, calls } = fixture({ keyFile, afterCommit: () => assert.fail("must not commit") });
    await assert.rejects(pushAgentUpdate(vm, bundleFile("0.2.2"), { key: loadSigningKey(otherKey), hub }), /does not verify/);
    assert.deepEqual(calls, ["agent_update_begin"]);
  });

  it("refuses, naming the VM, an agent without the update capability or already at the offered version", async () => {
    const hub = (s: GuestStatus): UpdateHub => ({ track: async () => s, status: () => s, call: (() => assert.fail("no call")) as never });
    const key = loadSigningKey(keyFile);
    await assert.rejects(
      pushAgentUpdate(vm, bundleFile("0.2.0"), { key, hub: hub(status({ version: "0.1.0", pid: 1, capabilities: [] })) }),
      (err: unknown) =>
        err instanceof ServiceError && err.message.startsWith(`${CONTEXT}: cannot update the agent to 0.2.0: the agent does not offer self-update`),
    );
    await assert.rejects(pushAgentUpdate(vm, bundleFile("0.2.0"), { key, hub: hub(status({ version: "0.2.0", pid: 1 })) }), /already runs 0\.2\.0/);
  });

  it("gives up at the deadline when the agent never reports the outcome, saying what it saw last", async () => {
    const { hub } = fixture({ keyFile, afterCommit: () => status({ version: "0.1.0", pid: 100 }) });
    let clock = 0;
    await assert.rejects(
      pushAgentUpdate(vm, bundleFile("0.2.3"), {
        key: loadSigningKey(keyFile),
        hub,
        waitMs: 10_000,
        now: () => clock,
        sleep: async (ms) => void (clock += ms),
        pollMs: 1000,
      }),
      /did not report the outcome of the update to 0\.2\.3 within 10 s \(the agent has not restarted yet\)/,
    );
  });
});
