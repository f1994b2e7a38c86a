import * as z from "zod/mini";
import { lazy } from "./lazy";
import { UPDATE_BUNDLE_MAX_BYTES } from "../update";
import { base64Text, count, timestamp, token } from "./common";

/**
 * Self-update (issue 15 item 5). The host pushes a newer agent bundle — the one-file
 * `kvmm-agent.cjs` that agent/build.mjs makes — signed with the host's Ed25519 key, whose public
 * half the agent's package installs as /usr/lib/kvmmanager-agent/update-key.pem. The agent checks
 * the signature before it accepts a byte, the size and SHA-256 after the last chunk, and only then
 * keeps the bundle and restarts into it on trial: the packaged launcher (which self-update never
 * replaces) goes back to the previous bundle when the new one exits or has not answered the host's
 * `sync` within UPDATE_TRIAL_MS.
 *
 * What is signed is `signedUpdateMessage(manifest)` (../update.ts): name, version, size and hash
 * on fixed lines, so a signature for one bundle can never pass for another.
 */
// The numbers live in ../update.ts, free of zod: the launcher (agent/src/launcher.ts) needs them and must stay small.
export { UPDATE_BUNDLE_MAX_BYTES, UPDATE_TRIAL_MS } from "../update";

/** A release as agent/src/version.ts spells it: MAJOR.MINOR.PATCH with an optional -prerelease. */
export const agentVersion = lazy(() =>
  z
    .string()
    .check(z.maxLength(64))
    .check(z.regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/, { message: "must be a version such as 1.4.2 or 1.4.2-rc.1" })),
);

export const updateManifest = lazy(() =>
  z.strictObject({
    version: agentVersion.check(z.describe("the release the bundle reports once running")),
    size: z.int().check(z.positive()).check(z.maximum(UPDATE_BUNDLE_MAX_BYTES)).check(z.describe("the bundle's length in bytes")),
    sha256: z
      .string()
      .check(z.regex(/^[0-9a-f]{64}$/, { message: "must be 64 lowercase hex digits" }))
      .check(z.describe("SHA-256 of the bundle, lowercase hex")),
  }),
);
export type UpdateManifest = z.infer<typeof updateManifest>;

export const agentUpdateBeginParams = lazy(() =>
  z.extend(updateManifest, {
    signature: base64Text(64).check(z.describe("Ed25519 signature of signedUpdateMessage(manifest), base64 (64 bytes)")),
  }),
);

export const agentUpdateBeginResult = lazy(() =>
  z.object({
    update_id: token.check(z.describe("names this upload in agent_update_chunk and agent_update_commit")),
    chunk_max_bytes: count.check(z.describe("the largest chunk the agent accepts (its max_file_chunk_bytes)")),
  }),
);

export const agentUpdateChunkParams = lazy(() =>
  z.strictObject({
    update_id: z.string().check(z.minLength(1)).check(z.maxLength(64)),
    offset: z
      .int()
      .check(z.nonnegative())
      .check(z.maximum(UPDATE_BUNDLE_MAX_BYTES))
      .check(z.describe("must equal the bytes received so far: chunks arrive in order")),
    data: z.string().check(z.minLength(1)).check(z.describe("the chunk, base64; its decoded length at most chunk_max_bytes")),
  }),
);
export const agentUpdateChunkResult = lazy(() => z.object({ received: count.check(z.describe("bytes received so far")) }));

export const agentUpdateCommitParams = lazy(() => z.strictObject({ update_id: z.string().check(z.minLength(1)).check(z.maxLength(64)) }));
export const agentUpdateCommitResult = lazy(() =>
  z.object({
    version: agentVersion.check(z.describe("the release now installed on trial")),
    previous_version: agentVersion.check(z.describe("the release running now, which the launcher goes back to on failure")),
    restart_in_ms: count.check(z.describe("the agent exits this long after answering; the host sees its channel close and reconnect")),
  }),
);

export const agentUpdateAbortParams = lazy(() => z.strictObject({ update_id: z.string().check(z.minLength(1)).check(z.maxLength(64)) }));
export const agentUpdateAbortResult = lazy(() => z.object({ aborted: z.literal(true) }));

/** What get_agent_info reports about the last self-update, so the host can show a rollback and its reason. */
export const agentUpdateStatus = lazy(() =>
  z.object({
    state: z
      .enum(["none", "trial", "confirmed", "rolled_back"])
      .check(
        z.describe(
          "none: running the packaged bundle, never updated; trial: a new bundle started and has not yet answered a sync; confirmed: the running bundle was pushed and answered; rolled_back: the last pushed bundle failed and the previous one runs",
        ),
      ),
    running_version: agentVersion,
    packaged_version: agentVersion.check(z.describe("the bundle the package installed, the last resort")),
    failed_version: z.optional(agentVersion).check(z.describe("rolled_back: the release that failed")),
    reason: z.optional(z.string().check(z.maxLength(4096))).check(z.describe("rolled_back: why, in words (exited with code 1; no sync within 30 s)")),
    at: z.optional(timestamp).check(z.describe("when the state last changed")),
  }),
);
export type AgentUpdateStatus = z.infer<typeof agentUpdateStatus>;
