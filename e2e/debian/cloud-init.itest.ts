import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Db } from "@/server/db/client";
import { cloudInitSchema, createSeedVolume } from "@/server/domains/cloud-init";
import { startGuestHub, stopGuestHub, type GuestHub, type GuestStatus } from "@/server/guest";
import { resolveHost } from "@/server/hosts/connection";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { tempDatabase } from "@/server/testing/test-db";
import { DEBIAN_BOOT_MS, createDebianGuest, type DebianGuest } from "../fixtures/debian-guest";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The VM wizard's cloud-init path proven by cloud-init itself: a Debian 12 guest boots with the
 * NoCloud seed the product builds (server/domains/cloud-init.ts createSeedVolume) on a SATA CD-ROM,
 * as server/domains/create.ts attaches it, and the guest is asked — through qemu-guest-agent — what
 * cloud-init did. The same guest runs our agent from its .deb, started by the package's udev rule.
 * One boot serves every test, in order; boot figures go to the test log.
 */

const HOST = "local";
const HOSTNAME = "kvmm-ci-web-1";
const USERNAME = "ops";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0cw== ops@laptop";

let db: Db;
let cleanupDb: () => void;
let guest: DebianGuest;
let hub: GuestHub;
/** ms from start to each milestone, printed at the end. */
const figures: Record<string, number> = {};
let agentConnected: Promise<GuestStatus>;

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  guest = await createDebianGuest({ label: "cloud-init", hostId: HOST });
  const seed = await createSeedVolume(
    resolveHost(db, HOST),
    guest.pool,
    guest.name,
    cloudInitSchema.parse({ hostname: HOSTNAME, username: USERNAME, sshAuthorizedKeys: [KEY] }),
  );
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  await guest.start({ cdrom: join(guest.dir, seed) });
  // Watched from the start, so the figure is the agent's first answer, not when a test got to ask.
  agentConnected = waitFor(
    () => {
      const s = hub.status(HOST, guest.uuid);
      return s?.agent.state === "connected" ? s : null;
    },
    { timeoutMs: DEBIAN_BOOT_MS, intervalMs: 250, what: `our agent in ${guest.name} to connect to the guest hub` },
  ).then((s) => {
    figures.agentFirstAnswerMs = Date.now() - guest.startedAt;
    return s;
  });
  // Reported by the test that awaits it; here it must not become an unhandled rejection.
  agentConnected.catch(() => undefined);
});

after(async () => {
  console.log(`Debian guest boot figures (ms from virsh start, TCG): ${JSON.stringify(figures)}`);
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanupDb?.();
});

test("cloud-init in the Debian guest finds the product's NoCloud seed on the SATA CD-ROM and finishes without errors", async () => {
  figures.qgaFirstPingMs = await guest.waitForQga();
  const status = await guest.exec("/usr/bin/cloud-init", ["status", "--wait", "--long"], DEBIAN_BOOT_MS);
  figures.cloudInitDoneMs = Date.now() - guest.startedAt;
  assert.equal(status.exitCode, 0, `cloud-init status: ${status.stdout}${status.stderr}`);
  assert.match(status.stdout, /^status: done$/m);
  assert.match(status.stdout, /DataSourceNoCloud \[seed=\/dev\/sr0\]/, status.stdout);
});

test("cloud-init applied the seed's hostname, created its user and installed its SSH key", async () => {
  const { "host-name": hostname } = await guest.qga<{ "host-name": string }>("guest-get-host-name");
  assert.equal(hostname, HOSTNAME);

  const passwd = await guest.exec("/usr/bin/getent", ["passwd", USERNAME]);
  assert.equal(passwd.exitCode, 0, `getent passwd ${USERNAME}: ${passwd.stderr}`);
  const [name, , uid, , , home, shell] = passwd.stdout.trim().split(":");
  assert.equal(name, USERNAME);
  assert.ok(Number(uid) >= 1000, `a regular user's uid, got ${uid}`);
  assert.equal(home, `/home/${USERNAME}`);
  assert.equal(shell, "/bin/bash");
  const groups = await guest.exec("/usr/bin/id", ["-nG", USERNAME]);
  assert.ok(groups.stdout.trim().split(" ").includes("sudo"), `groups: ${groups.stdout}`);

  const keys = await guest.exec("/bin/cat", [`/home/${USERNAME}/.ssh/authorized_keys`]);
  assert.equal(keys.exitCode, 0, keys.stderr);
  assert.ok(keys.stdout.split("\n").includes(KEY), `authorized_keys: ${keys.stdout}`);
  const owner = await guest.exec("/usr/bin/stat", ["-c", "%U %a", `/home/${USERNAME}/.ssh/authorized_keys`]);
  assert.equal(owner.stdout.trim(), `${USERNAME} 600`);
});

test("our agent, installed from its .deb and started by the package's udev rule (the unit is not enabled), answers the guest hub", async () => {
  const connected = await agentConnected;
  assert.equal(connected.agent.info?.name, "kvmmanager-agent");
  assert.equal(connected.agent.info?.version, guest.image.agentVersion);

  const started = Date.now();
  const info = await hub.call(HOST, guest.uuid, "get_system_info", {});
  figures.getSystemInfoMs = Date.now() - started;
  assert.equal(info.hostname, HOSTNAME, "the agent sees the hostname cloud-init set");
  assert.equal(info.os.id, "debian");
  assert.equal(info.kernel.release, guest.image.kernelRelease);
  assert.equal(info.cpu.count, 2);

  const installed = await guest.exec("/usr/bin/dpkg-query", ["-W", "-f=${Status} ${Version}", "kvmmanager-agent"]);
  assert.equal(installed.stdout, `install ok installed ${guest.image.agentVersion}`);
  const active = await guest.exec("/usr/bin/systemctl", ["is-active", "kvmmanager-agent.service"]);
  assert.equal(active.stdout.trim(), "active");
  const enabled = await guest.exec("/usr/bin/systemctl", ["is-enabled", "kvmmanager-agent.service"]);
  assert.equal(enabled.stdout.trim(), "disabled", "nothing but the udev rule can have started it");
});
