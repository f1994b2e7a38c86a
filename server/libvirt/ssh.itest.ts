// qemu+ssh:// through a real sshd on 127.0.0.1, started by hand for the test
// with its own config, host key and authorized key (key-only, no system
// config touched), reaching the machine's libvirtd via virt-ssh-helper.
// Needs Debian's openssh-server installed; skipped otherwise.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Connection, LibvirtConnectionError } from "./index";
import { waitFor } from "./testing/libvirtd";

const SSHD = "/usr/sbin/sshd";
const skip = existsSync(SSHD) ? false : `${SSHD} not installed (apt-get install openssh-server)`;

let dir: string;
let sshd: ChildProcess | null = null;
let port: number;
let uriBase: string;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: p } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

function canConnect(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: "127.0.0.1", port: p });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-ssh-"));
  const file = (name: string) => path.join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file("host_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file("id")]);
  writeFileSync(file("authorized_keys"), readFileSync(file("id.pub")));
  mkdirSync(file("home"));
  port = await freePort();
  writeFileSync(
    file("sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${file("host_key")}`,
      `AuthorizedKeysFile ${file("authorized_keys")}`,
      `PidFile ${file("sshd.pid")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "UsePAM no",
      "StrictModes no",
      // An empty home, so the session's bash reads no ~/.bashrc: root's here runs `pyenv rehash`, which waits
      // 60 s on a lock a killed session leaves behind (both tests timed out in CI, stop 24).
      `SetEnv HOME=${file("home")}`,
    ].join("\n") + "\n",
  );
  // Our own known_hosts, so the test leaves root's ~/.ssh alone: libvirt's ?command= picks the ssh binary.
  writeFileSync(file("ssh"), `#!/bin/sh\nexec ssh -o UserKnownHostsFile=${file("known_hosts")} -o StrictHostKeyChecking=accept-new "$@"\n`);
  chmodSync(file("ssh"), 0o755);
  mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege separation directory
  sshd = spawn(SSHD, ["-D", "-e", "-f", file("sshd_config")], { stdio: "ignore" });
  await waitFor("sshd to listen", () => canConnect(port), 10_000);
  const user = os.userInfo().username;
  uriBase = `test+ssh://${user}@127.0.0.1:${port}/default?keyfile=${file("id")}&command=${file("ssh")}`;
});

after(() => {
  sshd?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("connects through ssh and virt-ssh-helper", { skip }, async () => {
  const conn = await Connection.open(uriBase);
  try {
    assert.equal(await conn.connectGetType(), "TEST");
    const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
    assert.ok(domains.some((d) => d.name === "test"));
  } finally {
    await conn.close();
  }
});

test(
  "connects through ssh and nc -U when asked for netcat",
  {
    skip: skip || (spawnSync("sh", ["-c", "command -v nc"]).status === 0 ? false : "nc not installed (netcat-openbsd)"),
  },
  async () => {
    const conn = await Connection.open(`${uriBase}&proxy=netcat`);
    try {
      assert.equal(await conn.connectGetType(), "TEST");
    } finally {
      await conn.close();
    }
  },
);

test("an ssh failure becomes a connect error carrying ssh's message", { skip }, async () => {
  const err = await Connection.open(uriBase.replace(`keyfile=${path.join(dir, "id")}`, "keyfile=/nonexistent/kvmm-test-key")).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "connect", String(err));
  assert.match(String(err), /Permission denied/);
});
