import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hostKeyFingerprint, knownHostsLine, parseHostKeyLine, pickScannedKey } from "./host-key";

/** Keys made by ssh-keygen now, with the fingerprint `ssh-keygen -lf` prints for each. */
function keygen(type: string): { line: string; fingerprint: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "kvmm-hostkey-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "a comment", "-f", path.join(dir, "k")]);
    const fingerprint = execFileSync("ssh-keygen", ["-lf", path.join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1]!;
    return { line: readFileSync(path.join(dir, "k.pub"), "utf8").trim(), fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the SHA256 fingerprint is the one ssh-keygen -lf prints, for ed25519, ecdsa and rsa keys", () => {
  for (const type of ["ed25519", "ecdsa", "rsa"]) {
    const { line, fingerprint } = keygen(type);
    assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(hostKeyFingerprint(parseHostKeyLine(line)), fingerprint, type);
  }
});

test("a key line whose blob names another algorithm, or no blob at all, is refused", () => {
  const { line } = keygen("ed25519");
  const blob = line.split(" ")[1]!;
  assert.throws(() => parseHostKeyLine(`ssh-rsa ${blob}`), /not an ssh public key line/);
  assert.throws(() => parseHostKeyLine("ssh-ed25519"), /not an ssh public key line/);
  assert.throws(() => parseHostKeyLine("ssh-ed25519 !!!"), /not an ssh public key line/);
  assert.deepEqual(parseHostKeyLine(line), { algorithm: "ssh-ed25519", blob });
});

test("known_hosts names a host on port 22 plainly and one on another port as [host]:port", () => {
  const key = { algorithm: "ssh-ed25519", blob: "AAAA" };
  assert.equal(knownHostsLine("10.0.0.5", null, key), "10.0.0.5 ssh-ed25519 AAAA\n");
  assert.equal(knownHostsLine("10.0.0.5", 22, key), "10.0.0.5 ssh-ed25519 AAAA\n");
  assert.equal(knownHostsLine("kvm2.lan", 2222, key), "[kvm2.lan]:2222 ssh-ed25519 AAAA\n");
});

test("from ssh-keyscan's lines the ed25519 key is picked, else ecdsa, else rsa; comments and junk are skipped", () => {
  const [ed, ecdsa, rsa] = [keygen("ed25519"), keygen("ecdsa"), keygen("rsa")].map((k) => k.line.split(" ").slice(0, 2).join(" "));
  const scan = (...lines: string[]) => pickScannedKey(lines.map((l) => `10.0.0.5 ${l}`).join("\n"));
  assert.equal(scan(rsa!, ecdsa!, ed!)?.algorithm, "ssh-ed25519");
  assert.equal(scan(rsa!, ecdsa!)?.algorithm, "ecdsa-sha2-nistp256");
  assert.equal(scan(rsa!, "garbage")?.algorithm, "ssh-rsa");
  assert.equal(pickScannedKey("# 10.0.0.5:22 SSH-2.0-OpenSSH_9.2p1\n"), null);
});
