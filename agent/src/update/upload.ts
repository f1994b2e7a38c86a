import type { Hash, KeyObject } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, type FileHandle } from "../fs-async";
import path from "node:path";
import { decodeBase64 } from "../../protocol/base64";
import { ErrorCode, RpcError } from "../../protocol/errors";
import type { UpdateManifest } from "../../protocol/schemas/update";
import { signedUpdateMessage } from "../../protocol/update";
import { BUNDLES_DIR, writeUpdateState, type BundleRef } from "./state";

/** An upload without a chunk for this long is dropped: a host that went away must not hold the one slot. */
export const UPLOAD_IDLE_MS = 60_000;

/**
 * node:crypto is loaded when an update begins: an idle agent never needs it, and loading it costs
 * ~0.9 MiB RSS beside the modules the agent loads anyway (node 20, --lite-mode, measured natively).
 */
const crypto = () => import("node:crypto");

export interface UploadOptions {
  stateDir: string;
  /** The public half of the host's key, PEM (the package installs update-key.pem beside the launcher). */
  keyPath: string;
  chunkMaxBytes: number;
  /** The release running now and its file (null: the packaged bundle): the rollback target. */
  runningVersion: string;
  running: BundleRef | null;
  now(): number;
  /** The id of a new upload; default 6 random bytes in hex. */
  newId?: () => string;
}

interface Open {
  id: string;
  manifest: UpdateManifest;
  file: string;
  handle: FileHandle;
  hash: Hash;
  received: number;
  touched: number;
}

/**
 * agent_update_begin/chunk/commit/abort. Nothing of a bundle is accepted before its signature
 * verifies; the bytes go to a partial file in the state directory, never over the running bundle;
 * commit moves the checked file into place with one rename and records it `pending` in the state
 * file, which the launcher reads at the next start (update/launch.ts).
 */
export class Uploads {
  private current: Open | undefined;

  constructor(private readonly options: UploadOptions) {}

  async begin(params: UpdateManifest & { signature: string }): Promise<{ update_id: string; chunk_max_bytes: number }> {
    const { createHash, randomBytes, verify } = await crypto();
    const key = await this.key();
    const manifest: UpdateManifest = { version: params.version, size: params.size, sha256: params.sha256 };
    const signature = decodeBase64(params.signature);
    if (!signature || signature.length !== 64 || !verify(null, signedUpdateMessage(manifest), key, signature)) {
      throw new RpcError(ErrorCode.PermissionDenied, `agent_update_begin: the signature of ${manifest.version} does not verify with ${this.options.keyPath}`);
    }
    if (this.current && this.options.now() - this.current.touched < UPLOAD_IDLE_MS) {
      throw new RpcError(ErrorCode.Conflict, `agent_update_begin: upload ${this.current.id} (${this.current.manifest.version}) is still open`);
    }
    await this.drop();
    const dir = path.join(this.options.stateDir, BUNDLES_DIR);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Partial files of an agent that stopped mid-upload are of no use to anyone.
    for (const name of await readdir(dir)) if (name.endsWith(".partial")) await rm(path.join(dir, name), { force: true });
    const id = this.options.newId?.() ?? `u-${randomBytes(6).toString("hex")}`;
    const file = path.join(dir, `upload-${id}.partial`);
    const handle = await open(file, "wx", 0o600);
    this.current = { id, manifest, file, handle, hash: createHash("sha256"), received: 0, touched: this.options.now() };
    return { update_id: id, chunk_max_bytes: this.options.chunkMaxBytes };
  }

  async chunk(params: { update_id: string; offset: number; data: string }): Promise<{ received: number }> {
    const upload = this.find(params.update_id, "agent_update_chunk");
    if (params.offset !== upload.received) {
      throw new RpcError(ErrorCode.Conflict, `agent_update_chunk: offset ${params.offset} does not follow the ${upload.received} bytes received`, {
        received: upload.received,
      });
    }
    const bytes = decodeBase64(params.data);
    if (!bytes) throw new RpcError(ErrorCode.InvalidParams, "agent_update_chunk: data is not base64");
    if (bytes.length > this.options.chunkMaxBytes) {
      throw new RpcError(ErrorCode.TooLarge, `agent_update_chunk: ${bytes.length} bytes is more than the ${this.options.chunkMaxBytes} a chunk may hold`);
    }
    if (upload.received + bytes.length > upload.manifest.size) {
      throw new RpcError(ErrorCode.TooLarge, `agent_update_chunk: ${upload.received + bytes.length} bytes is more than the ${upload.manifest.size} announced`);
    }
    // Counted before the write's await, so a second chunk sent at the same offset meanwhile is refused.
    const at = upload.received;
    upload.received += bytes.length;
    upload.hash.update(bytes);
    upload.touched = this.options.now();
    try {
      await upload.handle.write(bytes, 0, bytes.length, at);
    } catch (error) {
      await this.drop();
      throw error;
    }
    return { received: upload.received };
  }

  async commit(params: { update_id: string }): Promise<{ version: string; previous_version: string }> {
    const upload = this.find(params.update_id, "agent_update_commit");
    const { manifest } = upload;
    if (upload.received !== manifest.size) {
      await this.drop();
      throw new RpcError(ErrorCode.InvalidParams, `agent_update_commit: ${upload.received} bytes received, ${manifest.size} announced; the upload was dropped`);
    }
    const digest = upload.hash.digest("hex");
    if (digest !== manifest.sha256) {
      await this.drop();
      throw new RpcError(
        ErrorCode.InvalidParams,
        `agent_update_commit: the bytes' SHA-256 is ${digest}, the signed one ${manifest.sha256}; the upload was dropped`,
      );
    }
    await upload.handle.sync();
    await upload.handle.close();
    this.current = undefined;
    const dir = path.dirname(upload.file);
    const target = path.join(dir, `kvmm-agent-${manifest.version}-${digest.slice(0, 12)}.cjs`);
    await rename(upload.file, target);
    // Bundles neither running nor just installed are leftovers of earlier updates.
    for (const name of await readdir(dir)) {
      const file = path.join(dir, name);
      if (file !== target && file !== this.options.running?.file) await rm(file, { force: true });
    }
    writeUpdateState(this.options.stateDir, {
      state: "pending",
      current: { version: manifest.version, file: target },
      previous: this.options.running,
      at: new Date(this.options.now()).toISOString(),
    });
    return { version: manifest.version, previous_version: this.options.runningVersion };
  }

  async abort(params: { update_id: string }): Promise<{ aborted: true }> {
    this.find(params.update_id, "agent_update_abort");
    await this.drop();
    return { aborted: true };
  }

  private find(id: string, method: string): Open {
    if (this.current?.id !== id) throw new RpcError(ErrorCode.NotFound, `${method}: no open upload ${id}`);
    return this.current;
  }

  private async drop(): Promise<void> {
    const upload = this.current;
    this.current = undefined;
    if (!upload) return;
    await upload.handle.close().catch(() => undefined);
    await rm(upload.file, { force: true });
  }

  private async key(): Promise<KeyObject> {
    let pem: string;
    try {
      pem = await readFile(this.options.keyPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new RpcError(ErrorCode.Unsupported, `agent_update_begin: no update key at ${this.options.keyPath}: this package was built without one`);
      }
      throw error;
    }
    try {
      const key = (await crypto()).createPublicKey(pem);
      if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType ?? "non-asymmetric"} key`);
      return key;
    } catch (error) {
      throw new RpcError(ErrorCode.Unsupported, `agent_update_begin: ${this.options.keyPath} is not an Ed25519 public key: ${(error as Error).message}`);
    }
  }
}
