import type { UpdateManifest } from "./schemas/update";

/**
 * The exact bytes an agent bundle's Ed25519 signature covers. One field per line, in a fixed
 * order, with the agent's name first: a signature made for one bundle, or for anything else the
 * key signs, cannot be replayed as another. Shared by the host (signs) and the agent (verifies).
 */
export function signedUpdateMessage(manifest: UpdateManifest): Buffer {
  return Buffer.from(`kvmmanager-agent bundle v1\nversion ${manifest.version}\nsize ${manifest.size}\nsha256 ${manifest.sha256}\n`, "utf8");
}
