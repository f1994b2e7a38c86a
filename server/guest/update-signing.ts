import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { signedUpdateMessage, type UpdateManifest } from "@/agent/protocol";
import { dataDir, env } from "../config/env";

/**
 * The manager's Ed25519 key that signs agent bundles for self-update (issue 15 item 5). Its public
 * half ships in the agent packages (agent/packaging/build.mjs reads this same file), so only this
 * manager can push code into its guests' agents. Made once, 0600, in the data directory beside the
 * TLS certificate; KVMM_AGENT_SIGNING_KEY names another file (tests share one in the test cache).
 */
export const SIGNING_KEY_FILE = "agent-update-key.pem";

export function signingKeyPath(): string {
  // A run-time path (the data dir or an env variable): turbopackIgnore keeps next build from tracing the whole project for it.
  return path.resolve(/*turbopackIgnore: true*/ env().KVMM_AGENT_SIGNING_KEY ?? path.join(dataDir(), SIGNING_KEY_FILE));
}

/** Reads the key, making it first when there is none (never over an existing file: `wx`). */
export function loadSigningKey(file: string = signingKeyPath()): KeyObject {
  if (!fs.existsSync(/*turbopackIgnore: true*/ file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
    try {
      fs.writeFileSync(file, pem, { mode: 0o600, flag: "wx" });
    } catch (err) {
      // Another process made it meanwhile: use theirs.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  const key = createPrivateKey(fs.readFileSync(/*turbopackIgnore: true*/ file, "utf8"));
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${file}: the agent signing key must be Ed25519, not ${key.asymmetricKeyType ?? "unknown"}`);
  return key;
}

/** The base64 signature agent_update_begin carries. */
export function signManifest(manifest: UpdateManifest, key: KeyObject): string {
  return sign(null, signedUpdateMessage(manifest), key).toString("base64");
}
