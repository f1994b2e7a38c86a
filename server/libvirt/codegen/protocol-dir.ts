import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where generated code is committed. */
export const GENERATED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../generated");

/**
 * Where scripts/fetch-libvirt-protocol.sh puts the protocol files of the
 * installed libvirt; null when libvirt is not installed (dpkg knows no libvirt0).
 */
export function defaultProtocolDir(): string | null {
  let version: string;
  try {
    version = execFileSync("dpkg-query", ["-W", "-f=${Version}", "libvirt0"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
  const cache = process.env.KVMM_CACHE_DIR || "/var/cache/kvm-manager";
  return path.join(cache, "libvirt-protocol", version.trim());
}
