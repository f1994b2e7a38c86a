import { createHash, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  bundleVersion,
  compareVersions,
  UPDATE_BUNDLE_MAX_BYTES,
  UPDATE_TRIAL_MS,
  type AgentInfo,
  type MethodName,
  type MethodParams,
  type MethodResult,
} from "@/agent/protocol";
import { env } from "../config/env";
import { ServiceError } from "../errors";
import { errorText, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { guestHub } from "./index";
import type { GuestVm } from "./service";
import type { AgentCallOptions } from "./session";
import { signManifest } from "./update-signing";

/**
 * Agent self-update, host side (issue 15 item 5): push a signed bundle through the VM's agent
 * channel (agent_update_begin → chunk… → commit), then wait for the agent to come back — its
 * launcher restarts it into the new bundle on trial — and report what it says: the new version
 * confirmed (it answered our sync), or the rollback and its reason. The protocol side is
 * agent/protocol/schemas/update.ts; the guest side agent/src/update/.
 */

/** A bundle the host can push: the bytes, and the release named in its version line (agent/build.mjs writes it). */
export interface AgentBundle {
  file: string;
  version: string;
  size: number;
  sha256: string;
  bytes: Buffer;
}

/** Chunks never larger than this, whatever the agent allows: a chunk is one request line, and lines share the channel. */
export const UPDATE_CHUNK_BYTES = 1024 * 1024;

/** Reads a bundle; the version comes from its second line. Throws with the file named when it is no agent bundle. */
export function readAgentBundle(file: string): AgentBundle {
  const bytes = fs.readFileSync(file);
  if (bytes.length === 0 || bytes.length > UPDATE_BUNDLE_MAX_BYTES) throw new Error(`${file}: ${bytes.length} bytes is not a plausible agent bundle`);
  const version = bundleVersion(bytes.subarray(0, 256).toString("utf8"));
  if (!version) throw new Error(`${file}: no "// kvmmanager-agent-version" line: not a bundle agent/build.mjs made`);
  return { file, version, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
}

let offered: { file: string; mtimeMs: number; size: number; bundle: AgentBundle } | undefined;

/** The bundle this manager offers its guests (KVMM_AGENT_BUNDLE, the one the setup builds); null when there is none. Re-read when the file changes. */
export function offeredAgentBundle(file: string = path.resolve(env().KVMM_AGENT_BUNDLE)): AgentBundle | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  if (offered?.file === file && offered.mtimeMs === stat.mtimeMs && offered.size === stat.size) return offered.bundle;
  const bundle = readAgentBundle(file);
  offered = { file, mtimeMs: stat.mtimeMs, size: stat.size, bundle };
  return bundle;
}

export type UpdateOutcome =
  { state: "confirmed"; version: string; previousVersion: string } | { state: "rolled_back"; failedVersion: string; runningVersion: string; reason: string };

export type UpdateHub = Pick<GuestHub, "track" | "call" | "status">;

export interface PushOptions {
  key: KeyObject;
  hub?: UpdateHub;
  /** Before the commit, an abort drops the upload in the guest (agent_update_abort); after it, it is ignored. */
  signal?: AbortSignal;
  onProgress?(bytesDone: number, bytesTotal: number): void;
  /** Called just before the commit: past it nothing can be cancelled. */
  onCommit?(): void;
  log?(line: string): void;
  /** How long to wait for the agent to come back and say how the trial went (default: the trial + 2 minutes for restarts). */
  waitMs?: number;
  pollMs?: number;
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

/** Why this agent cannot be updated, in words; null when it can. */
export function updateRefusal(status: GuestStatus, bundle: Pick<AgentBundle, "version">): string | null {
  if (!status.running) return "the VM is not running";
  const info = status.agent.info;
  if (status.agent.state !== "connected" || !info) return "the KVM Manager agent is not connected";
  if (!info.capabilities.includes("update")) {
    return info.update
      ? "the agent does not offer self-update: self_update_enabled is false in its config, or its package carries no update key"
      : `the agent (${info.version}) cannot update itself: it predates self-update or was started without its launcher`;
  }
  if (compareVersions(bundle.version, info.version) <= 0) return `the agent already runs ${info.version}, not older than the offered ${bundle.version}`;
  return null;
}

/** Pushes `bundle` into the VM's agent and waits for the outcome of its trial. */
export async function pushAgentUpdate(vm: GuestVm, bundle: AgentBundle, options: PushOptions): Promise<UpdateOutcome> {
  const hub = options.hub ?? guestHub();
  const log = options.log ?? (() => undefined);
  let status: GuestStatus;
  try {
    status = await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom);
  } catch (err) {
    throw toServiceError(vm.context, err);
  }
  const refusal = updateRefusal(status, bundle);
  if (refusal) throw new ServiceError(`${vm.context}: cannot update the agent to ${bundle.version}: ${refusal}`, "conflict");
  const before = status.agent.info!;
  const call = async <M extends MethodName>(method: M, params: MethodParams<M>, callOptions: AgentCallOptions): Promise<MethodResult<M>> => {
    try {
      return await hub.call(vm.hostId, status.uuid, method, params, callOptions);
    } catch (err) {
      throw toServiceError(vm.context, err);
    }
  };

  const manifest = { version: bundle.version, size: bundle.size, sha256: bundle.sha256 };
  const { update_id, chunk_max_bytes } = await call(
    "agent_update_begin",
    { ...manifest, signature: signManifest(manifest, options.key) },
    { timeoutMs: 15_000 },
  );
  log(`Uploading agent ${bundle.version} (${bundle.size} bytes) to replace ${before.version}`);
  // A chunk's base64 must fit in one request line of the agent's limit, with room for the envelope.
  const lineRoom = Math.floor(((before.limits.max_request_bytes - 1024) * 3) / 4);
  const chunkBytes = Math.max(1, Math.min(chunk_max_bytes, UPDATE_CHUNK_BYTES, lineRoom));
  try {
    for (let offset = 0; offset < bundle.size; offset += chunkBytes) {
      if (options.signal?.aborted) throw new ServiceError(`${vm.context}: agent update cancelled; the partial upload was dropped in the guest`, "conflict");
      const data = bundle.bytes.subarray(offset, offset + chunkBytes).toString("base64");
      const { received } = await call("agent_update_chunk", { update_id, offset, data }, { timeoutMs: 60_000 });
      options.onProgress?.(received, bundle.size);
    }
  } catch (err) {
    await call("agent_update_abort", { update_id }, { timeoutMs: 15_000 }).catch(() => undefined);
    throw err;
  }
  options.onCommit?.();
  const committed = await call("agent_update_commit", { update_id }, { timeoutMs: 30_000 });
  log(`Installed; the agent restarts into ${committed.version} on trial (${UPDATE_TRIAL_MS / 1000} s to answer)`);
  return waitForOutcome(vm, hub, status.uuid, before, bundle.version, options);
}

/** Polls the hub until the restarted agent (another pid or start time) reports how the trial of `version` ended. */
async function waitForOutcome(vm: GuestVm, hub: UpdateHub, uuid: string, before: AgentInfo, version: string, options: PushOptions): Promise<UpdateOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const waitMs = options.waitMs ?? UPDATE_TRIAL_MS + 120_000;
  const deadline = now() + waitMs;
  let last = "no answer yet";
  for (;;) {
    const status = hub.status(vm.hostId, uuid);
    const info = status?.agent.state === "connected" ? status.agent.info : null;
    const restarted = info && (info.pid !== before.pid || info.started_at !== before.started_at);
    if (info && restarted) {
      const update = info.update;
      last = `agent ${info.version}, update state ${update?.state ?? "unknown"}`;
      if (update?.state === "confirmed" && info.version === version) return { state: "confirmed", version, previousVersion: before.version };
      if (update?.state === "rolled_back" && update.failed_version === version) {
        return { state: "rolled_back", failedVersion: version, runningVersion: info.version, reason: update.reason ?? "no reason given" };
      }
    } else if (status) {
      last =
        status.agent.state === "connected"
          ? "the agent has not restarted yet"
          : `agent ${status.agent.state}${status.agent.lastError ? ` (${errorText(status.agent.lastError)})` : ""}`;
    }
    if (now() >= deadline) {
      throw new ServiceError(
        `${vm.context}: the agent did not report the outcome of the update to ${version} within ${Math.round(waitMs / 1000)} s (${last})`,
        "unavailable",
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}
