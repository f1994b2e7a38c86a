import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createCaller } from "@/server/api/root";
import type { Db } from "@/server/db/client";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { createDebianGuest, ensureDebianGuestImage, type DebianGuest, type GuestShell } from "../fixtures/debian-guest";
import { testRunRoot } from "../fixtures/paths";
import { run } from "../fixtures/run";
import { TEST_DOMAIN_PREFIX, cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * Issue 12's template acceptance on a real guest: a template is made of a shut-off Debian 12 VM
 * (systemd, cloud-init), deployed as a linked clone with the deploy dialog's cloud-init settings,
 * and the clone is asked — through qemu-guest-agent — whether cloud-init did what the deploy said.
 * The template then refuses to go while the clone reads its disk. One boot (the clone's).
 */

const HOST = "local";
const tag = randomBytes(4).toString("hex");
const pool = `${TEST_DOMAIN_PREFIX}tpl-pool-${tag}`;
const poolDir = join(testRunRoot(), pool);
const templateName = `debian-12-${tag}`;
const clone = `${TEST_DOMAIN_PREFIX}tpl-clone-${tag}`;
const HOSTNAME = `web-from-template`;
const USERNAME = "deploy";
const PASSWORD = "correct horse battery staple";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0cw== deploy@laptop";
const MARK_FILE = "/etc/kvmm-deployed";
const MARK = "written by the deploy's user-data\n";
// What a user types into the deploy dialog's editor: a #cloud-config document of their own.
const USER_DATA = `#cloud-config
write_files:
  - path: ${MARK_FILE}
    permissions: "0644"
    content: |
      ${MARK.trim()}
`;

let db: Db;
let cleanupDb: () => void;
let api: ReturnType<typeof createCaller>;
let source: DebianGuest;
let shell: GuestShell;
let templateId: string;
let deployedAt = 0;
const figures: Record<string, number> = {};

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  api = createCaller({ db, user: await addUser(db, "root", "admin"), clientIp: "192.0.2.40" });
  const image = await ensureDebianGuestImage();
  // The source VM's disk is a full copy of the image in a pool, as a VM of the user's would be.
  await mkdir(poolDir, { recursive: true, mode: 0o755 });
  const disk = join(poolDir, `${TEST_DOMAIN_PREFIX}tpl-src-${tag}-vda.qcow2`);
  await copyFile(image.image, disk);
  await chmod(disk, 0o644);
  await virsh(["pool-create-as", pool, "dir", "--target", poolDir]);
  source = await createDebianGuest({ label: `tpl-src-${tag}`, disk, hostId: HOST });
  await source.define();
  shell = source.shellOf(clone);
});

after(async () => {
  console.log(`template deploy figures (ms): ${JSON.stringify(figures)}`);
  for (const args of [
    ["destroy", clone],
    ["undefine", clone],
    ["pool-destroy", pool],
  ])
    await virsh(args).catch(() => undefined);
  await source?.destroy();
  await rm(poolDir, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb?.();
});

test("a template of a shut-off Debian VM deploys as a started linked clone in under 5 s, its disk backed by the template's", async () => {
  const made = Date.now();
  ({ templateId } = await api.templates.create({ hostId: HOST, uuid: source.uuid, name: templateName, description: "Debian 12, cloud-init", pool }));
  const template = await waitFor(
    async () => {
      const t = await api.templates.get({ id: templateId });
      assert.notEqual(t.state, "failed", `template creation failed: ${t.error}`);
      return t.state === "ready" ? t : null;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: `template ${templateName} to be ready` },
  );
  figures.templateCopyMs = Date.now() - made;

  const started = performance.now();
  const vm = await api.templates.deploy({
    id: templateId,
    name: clone,
    mode: "linked",
    pool,
    start: true,
    cloudInit: { hostname: HOSTNAME, username: USERNAME, password: PASSWORD, sshAuthorizedKeys: [KEY], userData: USER_DATA },
  });
  figures.linkedDeployMs = Math.round(performance.now() - started);
  deployedAt = Date.now();
  assert.ok(figures.linkedDeployMs < 5_000, `a linked deploy took ${figures.linkedDeployMs} ms`);
  assert.equal(vm.name, clone);
  assert.equal((await virsh(["domstate", clone])).trim(), "running");

  const disk = (await virsh(["domblklist", clone, "--details"])).split("\n").find((line) => /\bdisk\s+vda\b/.test(line));
  const diskPath = disk?.trim().split(/\s+/).at(-1);
  assert.ok(diskPath, `the clone has a vda: ${disk}`);
  const info = JSON.parse((await run("qemu-img", ["info", "--output=json", "-U", diskPath])).stdout) as { "full-backing-filename"?: string };
  assert.equal(info["full-backing-filename"], template.disks[0]?.path);
  assert.ok((await stat(diskPath)).size < 16 * 1024 * 1024, "a linked clone's own disk holds only its changes");
});

test("cloud-init in the clone applies the deploy's hostname, first user, password, SSH key and user-data document", async () => {
  assert.ok(deployedAt > 0, "the clone was deployed by the test before");
  figures.qgaFirstPingMs = await shell.waitForQga(deployedAt);
  const status = await shell.exec("/usr/bin/cloud-init", ["status", "--wait", "--long"], 240_000);
  figures.cloudInitDoneMs = Date.now() - deployedAt;
  assert.equal(status.exitCode, 0, `cloud-init status: ${status.stdout}${status.stderr}`);
  assert.match(status.stdout, /DataSourceNoCloud \[seed=\/dev\/sr0\]/, status.stdout);

  const { "host-name": hostname } = await shell.qga<{ "host-name": string }>("guest-get-host-name");
  assert.equal(hostname, HOSTNAME);
  const passwd = await shell.exec("/usr/bin/getent", ["passwd", USERNAME]);
  assert.equal(passwd.stdout.split(":")[0], USERNAME, `getent passwd ${USERNAME}: ${passwd.stderr}`);
  const keys = await shell.exec("/bin/cat", [`/home/${USERNAME}/.ssh/authorized_keys`]);
  assert.ok(keys.stdout.split("\n").includes(KEY), `authorized_keys: ${keys.stdout}`);
  // The seed held only a SHA-512 crypt hash; the guest's own crypt(3) says the password matches it.
  const check = await shell.exec("/usr/bin/python3", [
    "-W",
    "ignore",
    "-c",
    "import crypt, spwd, sys; h = spwd.getspnam(sys.argv[1]).sp_pwdp; print(h[:3], crypt.crypt(sys.argv[2], h) == h)",
    USERNAME,
    PASSWORD,
  ]);
  assert.equal(check.stdout.trim(), "$6$ True", `password check: ${check.stdout}${check.stderr}`);
  const mark = await shell.exec("/bin/cat", [MARK_FILE]);
  assert.equal(mark.stdout, MARK, `${MARK_FILE}: ${mark.stderr}`);
});

test("the template's delete is refused while the clone exists, naming it; once the clone is deleted, the template goes with its disk", async () => {
  assert.ok(templateId, "the template was made by the test before");
  await assert.rejects(api.templates.delete({ id: templateId }), (err: Error) => {
    assert.match(err.message, new RegExp(`VM "${clone}"`));
    return true;
  });
  const { disks } = await api.templates.get({ id: templateId });
  const uuid = (await virsh(["domuuid", clone])).trim();
  await virsh(["destroy", clone]);
  await api.vms.delete({ hostId: HOST, uuid, confirmName: clone, deleteStorage: true });
  await api.templates.delete({ id: templateId });
  await assert.rejects(stat(disks[0]?.path ?? "/nonexistent"), { code: "ENOENT" });
  await assert.rejects(api.templates.get({ id: templateId }), /not found|no template/i);
});
