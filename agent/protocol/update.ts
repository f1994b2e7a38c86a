import type { UpdateManifest } from "./schemas/update";

/** A bundle larger than this is refused at begin: today's bundle is ~0.8 MiB. */
export const UPDATE_BUNDLE_MAX_BYTES = 16 * 1024 * 1024;
/** How long a new bundle has to answer the host's `sync` after it starts before the launcher rolls back. */
export const UPDATE_TRIAL_MS = 30_000;
/**
 * The second line of every bundle agent/build.mjs makes: `// kvmmanager-agent-version 0.1.0`. The
 * launcher and the host read the packaged bundle's release from it without loading the bundle.
 */
export const BUNDLE_VERSION_PREFIX = "// kvmmanager-agent-version ";

/** The release named in a bundle's first lines, or null when it has none. */
export function bundleVersion(head: string): string | null {
  const line = head.split("\n", 3).find((text) => text.startsWith(BUNDLE_VERSION_PREFIX));
  const version = line?.slice(BUNDLE_VERSION_PREFIX.length).trim() ?? "";
  return /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/.test(version) ? version : null;
}

/** Orders two releases by MAJOR.MINOR.PATCH; a prerelease sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (text: string) => {
    const [core = "", pre] = text.split("-", 2);
    return { parts: core.split(".").map(Number), pre };
  };
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < 3; i++) {
    const diff = (left.parts[i] ?? 0) - (right.parts[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (left.pre === right.pre) return 0;
  if (left.pre === undefined) return 1;
  if (right.pre === undefined) return -1;
  return left.pre < right.pre ? -1 : 1;
}

/**
 * The exact bytes an agent bundle's Ed25519 signature covers. One field per line, in a fixed
 * order, with the agent's name first: a signature made for one bundle, or for anything else the
 * key signs, cannot be replayed as another. Shared by the host (signs) and the agent (verifies).
 */
export function signedUpdateMessage(manifest: UpdateManifest): Buffer {
  return Buffer.from(`kvmmanager-agent bundle v1\nversion ${manifest.version}\nsize ${manifest.size}\nsha256 ${manifest.sha256}\n`, "utf8");
}
