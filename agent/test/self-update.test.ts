import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { once } from "node:events";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AgentClient } from "../protocol/client";
import { signedUpdateMessage } from "../protocol/update";
import { EXIT_RESTART } from "../src/update/launch";
import { AGENT_VERSION } from "../src/version";
import { builtAgent, waitFor } from "./harness";

/**
 * Self-update end to end on this machine: the real launcher and bundles as the package installs
 * them (kvmm-launcher.cjs, kvmm-agent.cjs and update-key.pem in one folder), a unix socket for the
 * port, and this test as both the host and the service manager (it starts the launcher again after
 * each exit, as Restart=on-failure would).
 */

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const key = generateKeyPairSync("ed25519");
const NEWER = "9.9.0";
const BROKEN = "9.9.1";

let dir: string;
let server: net.Server;
const connections: net.Socket[] = [];
let taken = 0;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-self-update-"));
  const lib = path.join(dir, "lib");
  await mkdir(lib);
  const bundle = await builtAgent();
  await copyFile(bundle, path.join(lib, "kvmm-agent.cjs"));
  await copyFile(path.join(path.dirname(bundle), "kvmm-launcher.cjs"), path.join(lib, "kvmm-launcher.cjs"));
  await writeFile(path.join(lib, "update-key.pem"), key.publicKey.export({ type: "spki", format: "pem" }));
  await writeFile(path.join(dir, "config.json"), JSON.stringify({ allowed_paths: [dir], telemetry_interval_s: 0 }));
  await promisify(execFile)(process.execPath, [path.join(agentDir, "build.mjs"), "--outfile", path.join(dir, "newer", "kvmm-agent.cjs"), "--version", NEWER]);
  server = net.createServer((socket) => connections.push(socket));
  server.listen(path.join(dir, "host.sock"));
  await once(server, "listening");
});

after(async () => {
  for (const socket of connections) socket.destroy();
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

function startLauncher(): ChildProcess {
  return spawn(
    process.execPath,
    [path.join(dir, "lib", "kvmm-launcher.cjs"), "--device", path.join(dir, "host.sock"), "--config", path.join(dir, "config.json")],
    {
      env: { ...process.env, KVMM_AGENT_STATE_DIR: path.join(dir, "state") },
      stdio: "ignore",
    },
  );
}

async function connect(): Promise<AgentClient> {
  await waitFor("the agent to connect", () => (connections.length > taken ? true : undefined), 10_000);
  const client = new AgentClient(connections[taken++]!, { timeoutMs: 20_000 });
  await client.sync();
  return client;
}

async function push(client: AgentClient, bytes: Buffer, version: string): Promise<void> {
  const manifest = { version, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  const signature = sign(null, signedUpdateMessage(manifest), key.privateKey).toString("base64");
  const { update_id, chunk_max_bytes } = await client.call("agent_update_begin", { ...manifest, signature });
  for (let offset = 0; offset < bytes.length; offset += chunk_max_bytes) {
    await client.call("agent_update_chunk", { update_id, offset, data: bytes.subarray(offset, offset + chunk_max_bytes).toString("base64") });
  }
  await client.call("agent_update_commit", { update_id });
}

const exitCode = async (child: ChildProcess) => ((await once(child, "exit")) as [number | null])[0];

describe("self-update through the launcher", () => {
  it("installs a newer bundle, exits 75, and the next start runs it confirmed; a bundle that exits at start is rolled back", async () => {
    let agent = startLauncher();
    let client = await connect();
    const first = await client.call("get_agent_info", {});
    assert.equal(first.version, AGENT_VERSION);
    assert.ok(first.capabilities.includes("update"));
    assert.equal(first.update?.state, "none");

    let exited = exitCode(agent);
    await push(client, await readFile(path.join(dir, "newer", "kvmm-agent.cjs")), NEWER);
    assert.equal(await exited, EXIT_RESTART, "the agent exits for its restart after the commit");

    agent = startLauncher();
    client = await connect();
    const updated = await client.call("get_agent_info", {});
    assert.equal(updated.version, NEWER);
    assert.equal(updated.update?.state, "confirmed");
    assert.equal(updated.update?.packaged_version, AGENT_VERSION);

    exited = exitCode(agent);
    await push(client, Buffer.from(`#!/usr/bin/env node\n// kvmmanager-agent-version ${BROKEN}\nprocess.exit(3);\n`), BROKEN);
    assert.equal(await exited, EXIT_RESTART);
    assert.equal(await exitCode(startLauncher()), 3, "the broken bundle ran on trial and exited");

    agent = startLauncher();
    client = await connect();
    const rolledBack = await client.call("get_agent_info", {});
    assert.equal(rolledBack.version, NEWER);
    assert.equal(rolledBack.update?.state, "rolled_back");
    assert.equal(rolledBack.update?.failed_version, BROKEN);
    assert.equal(rolledBack.update?.reason, "exited with code 3 before it answered the host's sync");
    agent.kill("SIGTERM");
    await exitCode(agent);
  });
});
