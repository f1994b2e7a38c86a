/**
 * The ssh host key of a new host: scanned once, shown as a fingerprint for the sysadmin to compare
 * with the host's own (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), then pinned in a
 * known_hosts file of its own so ssh checks it strictly on every connection.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import net from "node:net";
import { ServiceError } from "../errors";
import type { ScannedHostKey } from "./contract";
import { parseHostAddress } from "./address";

/** Strongest first: what `scanHostKey` offers when the host has several. */
const PREFERRED = ["ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "ssh-rsa"] as const;

/** ssh-keyscan's own limit for the answer, and ours for the whole run around it. */
const SCAN_TIMEOUT_S = 5;
const SCAN_DEADLINE_MS = (SCAN_TIMEOUT_S + 3) * 1000;

export interface HostKey {
  algorithm: string;
  /** The base64 key blob. */
  blob: string;
}

/**
 * `ssh-ed25519 AAAA…` (a trailing comment is dropped). The blob names its own algorithm in its
 * first field; a line whose two names disagree is refused rather than pinned.
 */
export function parseHostKeyLine(line: string): HostKey {
  const [algorithm, blob] = line.trim().split(/\s+/);
  const bytes = blob && /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, "base64") : Buffer.alloc(0);
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const named = nameLength >= 0 && nameLength + 4 <= bytes.length ? bytes.subarray(4, 4 + nameLength).toString("latin1") : null;
  if (!algorithm || !blob || named !== algorithm) {
    throw new ServiceError("the host key is not an ssh public key line (`ssh-ed25519 AAAA…`)", "invalid", { field: "hostKey" });
  }
  return { algorithm, blob };
}

/** `SHA256:` and the unpadded base64 of the blob's SHA-256: what `ssh-keygen -lf` and ssh's own prompts print. */
export function hostKeyFingerprint(key: HostKey): string {
  const digest = createHash("sha256").update(Buffer.from(key.blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** One known_hosts line: ssh writes a host on another port than 22 as `[host]:port`. */
export function knownHostsLine(host: string, port: number | null, key: HostKey): string {
  const name = port === null || port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${key.algorithm} ${key.blob}\n`;
}

/** The preferred key among ssh-keyscan's lines (`host algorithm blob`; comments start with #), or null. */
export function pickScannedKey(output: string): HostKey | null {
  const keys = output
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith("#"))
    .flatMap((line) => {
      try {
        return [parseHostKeyLine(line.trim().split(/\s+/).slice(1).join(" "))];
      } catch {
        return [];
      }
    });
  for (const algorithm of PREFERRED) {
    const key = keys.find((k) => k.algorithm === algorithm);
    if (key) return key;
  }
  return keys[0] ?? null;
}

/** The key the address's sshd offers, for the sysadmin to compare before `add` pins it. */
export async function scanHostKey(address: string): Promise<ScannedHostKey> {
  const { host, port: typedPort } = parseHostAddress(address, "ssh");
  const port = typedPort ?? 22;
  const where = `${host} port ${port}`;
  const unreachable = await tcpReachable(host, port);
  if (unreachable) throw new ServiceError(`no ssh server answers at ${where}: ${unreachable}`, "unavailable", { field: "address" });
  const { stdout, timedOut } = await keyscan(["-T", String(SCAN_TIMEOUT_S), "-p", String(port), "-t", "ed25519,ecdsa,rsa", "--", host]);
  const key = pickScannedKey(stdout);
  if (key) return { algorithm: key.algorithm, fingerprint: hostKeyFingerprint(key), hostKey: `${key.algorithm} ${key.blob}` };
  const why = timedOut ? `it did not send a host key within ${SCAN_TIMEOUT_S} s` : "something listens there, but it sent no ssh host key";
  throw new ServiceError(`no ssh server answers at ${where}: ${why}`, "unavailable", { field: "address" });
}

/** Null when a TCP connection to the port opens; else why not, in plain words (ssh-keyscan itself says nothing). */
function tcpReachable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: SCAN_TIMEOUT_S * 1000 });
    const end = (why: string | null) => {
      socket.destroy();
      resolve(why);
    };
    socket.once("connect", () => end(null));
    socket.once("timeout", () => end(`no answer within ${SCAN_TIMEOUT_S} s`));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      const words: Record<string, string> = {
        ECONNREFUSED: "connection refused (nothing listens on that port)",
        EHOSTUNREACH: "no route to the host",
        ENETUNREACH: "the network is unreachable",
        ENOTFOUND: "the name does not resolve",
        EAI_AGAIN: "the name does not resolve",
      };
      end(words[err.code ?? ""] ?? err.message);
    });
  });
}

function keyscan(args: string[]): Promise<{ stdout: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile("ssh-keyscan", args, { timeout: SCAN_DEADLINE_MS, killSignal: "SIGKILL" }, (err, stdout) => {
      resolve({ stdout, timedOut: err !== null && "killed" in err && err.killed === true });
    });
  });
}
