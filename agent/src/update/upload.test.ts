import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../protocol/errors";
import type { UpdateManifest } from "../../protocol/schemas/update";
import { signedUpdateMessage } from "../../protocol/update";
import { BUNDLES_DIR, readUpdateState } from "./state";
import { UPLOAD_IDLE_MS, Uploads } from "./upload";

const hostKey = generateKeyPairSync("ed25519");
const otherKey = generateKeyPairSync("ed25519");
const BUNDLE = Buffer.from("#!/usr/bin/env node\n// kvmmanager-agent-version 0.2.0\nconsole.log('new agent');\n");

let dir: string;
let clock: number;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-upload-"));
  writeFileSync(path.join(dir, "update-key.pem"), hostKey.publicKey.export({ type: "spki", format: "pem" }));
  clock = 1_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function uploads(chunkMaxBytes = 32): Uploads {
  let n = 0;
  return new Uploads({
    stateDir: path.join(dir, "state"),
    keyPath: path.join(dir, "update-key.pem"),
    chunkMaxBytes,
    runningVersion: "0.1.0",
    running: null,
    now: () => clock,
    newId: () => `u-${++n}`,
  });
}

function manifestOf(bytes: Buffer, version = "0.2.0"): UpdateManifest {
  return { version, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

function signed(manifest: UpdateManifest, key: KeyObject = hostKey.privateKey) {
  return { ...manifest, signature: sign(null, signedUpdateMessage(manifest), key).toString("base64") };
}

async function rpcError(promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RpcError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function send(target: Uploads, id: string, bytes: Buffer, chunk = 32): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    await target.chunk({ update_id: id, offset, data: bytes.subarray(offset, offset + chunk).toString("base64") });
  }
}

const partials = () => (existsSync(path.join(dir, "state", BUNDLES_DIR)) ? readdirSync(path.join(dir, "state", BUNDLES_DIR)) : []);

describe("agent_update: signature", () => {
  it("a signature by another key is PermissionDenied, and nothing is written", async () => {
    await rpcError(uploads().begin(signed(manifestOf(BUNDLE), otherKey.privateKey)), ErrorCode.PermissionDenied, /does not verify/);
    assert.deepEqual(partials(), []);
  });

  it("a manifest field changed after signing (version, size, hash) is PermissionDenied", async () => {
    const good = signed(manifestOf(BUNDLE));
    for (const altered of [
      { ...good, version: "9.9.9" },
      { ...good, size: good.size + 1 },
      { ...good, sha256: "0".repeat(64) },
    ]) {
      await rpcError(uploads().begin(altered), ErrorCode.PermissionDenied);
    }
  });

  it("no key installed is Unsupported", async () => {
    rmSync(path.join(dir, "update-key.pem"));
    await rpcError(uploads().begin(signed(manifestOf(BUNDLE))), ErrorCode.Unsupported, /no update key/);
  });
});

describe("agent_update: upload", () => {
  it("commit installs the checked bundle with a rename and records it pending, the running bundle as the way back", async () => {
    const target = uploads();
    const { update_id, chunk_max_bytes } = await target.begin(signed(manifestOf(BUNDLE)));
    assert.equal(chunk_max_bytes, 32);
    await send(target, update_id, BUNDLE);
    assert.deepEqual(await target.commit({ update_id }), { version: "0.2.0", previous_version: "0.1.0" });
    const state = readUpdateState(path.join(dir, "state"));
    assert.equal(state?.state, "pending");
    assert.equal(state?.previous, null);
    assert.ok(state?.current);
    assert.deepEqual(readFileSync(state.current.file), BUNDLE);
    assert.deepEqual(partials(), [path.basename(state.current.file)], "no partial file is left");
  });

  it("a chunk at the wrong offset is Conflict and names the bytes received", async () => {
    const target = uploads();
    const { update_id } = await target.begin(signed(manifestOf(BUNDLE)));
    await target.chunk({ update_id, offset: 0, data: BUNDLE.subarray(0, 10).toString("base64") });
    await rpcError(
      target.chunk({ update_id, offset: 20, data: BUNDLE.subarray(20, 30).toString("base64") }),
      ErrorCode.Conflict,
      /does not follow the 10 bytes/,
    );
  });

  it("more bytes than announced, or a chunk above chunk_max_bytes, is TooLarge", async () => {
    const target = uploads(1024);
    const { update_id } = await target.begin(signed(manifestOf(BUNDLE)));
    await rpcError(target.chunk({ update_id, offset: 0, data: Buffer.concat([BUNDLE, Buffer.from("x")]).toString("base64") }), ErrorCode.TooLarge, /announced/);
    const small = uploads(8);
    const second = await small.begin(signed(manifestOf(BUNDLE)));
    await rpcError(
      small.chunk({ update_id: second.update_id, offset: 0, data: BUNDLE.subarray(0, 9).toString("base64") }),
      ErrorCode.TooLarge,
      /a chunk may hold/,
    );
  });

  it("bytes that differ from the signed hash are refused at commit and dropped; nothing is installed", async () => {
    const target = uploads();
    const { update_id } = await target.begin(signed(manifestOf(BUNDLE)));
    const tampered = Buffer.from(BUNDLE);
    tampered.writeUInt8(tampered.readUInt8(30) ^ 1, 30);
    await send(target, update_id, tampered);
    await rpcError(target.commit({ update_id }), ErrorCode.InvalidParams, /SHA-256/);
    assert.equal(readUpdateState(path.join(dir, "state")), null);
    assert.deepEqual(partials(), []);
  });

  it("a commit before every byte arrived is refused and dropped", async () => {
    const target = uploads();
    const { update_id } = await target.begin(signed(manifestOf(BUNDLE)));
    await target.chunk({ update_id, offset: 0, data: BUNDLE.subarray(0, 10).toString("base64") });
    await rpcError(target.commit({ update_id }), ErrorCode.InvalidParams, /10 bytes received/);
    await rpcError(target.chunk({ update_id, offset: 10, data: "eA==" }), ErrorCode.NotFound);
  });

  it("one upload at a time: a second begin is Conflict until the first is aborted or idle for a minute", async () => {
    const target = uploads();
    const first = await target.begin(signed(manifestOf(BUNDLE)));
    await rpcError(target.begin(signed(manifestOf(BUNDLE))), ErrorCode.Conflict, /still open/);
    assert.deepEqual(await target.abort(first), { aborted: true });
    assert.deepEqual(partials(), []);
    const second = await target.begin(signed(manifestOf(BUNDLE)));
    clock += UPLOAD_IDLE_MS;
    const third = await target.begin(signed(manifestOf(BUNDLE)));
    assert.notEqual(third.update_id, second.update_id);
    await rpcError(target.abort(second), ErrorCode.NotFound);
  });
});
