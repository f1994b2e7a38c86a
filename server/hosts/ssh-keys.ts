/**
 * The manager's own ssh key pair: one for every ssh host, made on first use in the data directory,
 * its public half shown on the hosts page for the host's authorized_keys. It never leaves this
 * machine; ssh offers it alone (IdentitiesOnly, see transport-plan.ts), never the keys of the
 * user running the manager.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { dataDir } from "../config/env";
import type { ManagerSshKey } from "./contract";
import { hostKeyFingerprint, parseHostKeyLine } from "./host-key";

const run = promisify(execFile);

/** `<data>/ssh/id_ed25519`: the private key ssh is given with `-i` (the `keyfile` URI parameter). */
export function managerKeyFile(): string {
  return path.join(dataDir(), "ssh", "id_ed25519");
}

let making: Promise<void> | null = null;

/** The key pair, made once: ssh-keygen writes to a new name, renamed into place, so a half-written key is never used. */
export async function managerSshKey(): Promise<ManagerSshKey> {
  const file = managerKeyFile();
  const publicKey = await readFile(`${file}.pub`, "utf8").catch(async () => {
    making ??= makeKeyPair(file).finally(() => (making = null));
    await making;
    return readFile(`${file}.pub`, "utf8");
  });
  const line = publicKey.trim();
  return { publicKey: line, fingerprint: hostKeyFingerprint(parseHostKeyLine(line)) };
}

async function makeKeyPair(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await chmod(path.dirname(file), 0o700);
  const fresh = `${file}.new-${process.pid}`;
  await rm(fresh, { force: true });
  await rm(`${fresh}.pub`, { force: true });
  // ssh-keygen writes the private key 0600 whatever the umask.
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `kvm-manager@${hostname()}`, "-f", fresh], { timeout: 30_000 });
  // The private half first: a .pub in place means the pair is complete.
  await rename(fresh, file);
  await rename(`${fresh}.pub`, `${file}.pub`);
}
