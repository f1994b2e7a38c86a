// Backup throughput against the real libvirtd: a running VM (an idle domain in SeaBIOS, TCG) with a
// 1 GiB qcow2 disk written full beforehand, backed up in full through libvirt's push-mode job, then
// 10 MiB written through QEMU (HMP qemu-io, so the checkpoint's dirty bitmap sees it) and backed up
// incrementally. Each figure is the whole backup as a user gets it: job, then SHA-256 of every file.
// Run alone with `node --import tsx scripts/bench/backups.ts`; `npm run bench` runs it too.
import { randomBytes } from "node:crypto";
import { mkdir, rmdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { ensureLocalHost } from "../../server/hosts/service";
import { resolveHost } from "../../server/hosts/connection";
import { resolveVm } from "../../server/domains/lookup";
import { closeAllConnections } from "../../server/libvirt/registry";
import { quiesce } from "../../server/guest/quiesce";
import { deleteBackup, runBackup, setBackupTarget } from "../../server/backups/service";
import { backupById } from "../../server/backups/store";
import { kvmmCacheDir } from "../../e2e/fixtures/paths";
import { run } from "../../e2e/fixtures/run";
import { ensureLibvirtd, libvirtUri, virsh } from "../../e2e/fixtures/test-host";
import { table } from "./format";

const MiB = 1024 ** 2;
const RUN = process.env.KVMM_BENCH_RUN ?? randomBytes(4).toString("hex");
const NAME = `kvmm-bench-${RUN}-backup`;
const DIR = join(kvmmCacheDir(), `bench-backups-${RUN}`);
const DISK = join(DIR, "disk.qcow2");
const DISK_MIB = 1024;
const CHANGED_MIB = 10;

function domainXml(): string {
  return `<domain type="qemu"><name>${NAME}</name><memory unit="MiB">64</memory><vcpu>1</vcpu>
<os><type arch="x86_64">hvm</type></os><features><acpi/></features>
<devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="${DISK}"/><target dev="vda" bus="virtio"/></disk>
<memballoon model="none"/></devices></domain>`;
}

async function main(): Promise<void> {
  await ensureLibvirtd();
  const { db, cleanup } = tempDatabase();
  ensureLocalHost(db, libvirtUri());
  const admin = await addUser(db, "bench", "admin");
  await mkdir(DIR, { recursive: true, mode: 0o755 });
  const made: string[] = [];
  let defined = false;
  let pool = false;
  try {
    await run("qemu-img", ["create", "-q", "-f", "qcow2", DISK, `${DISK_MIB}M`]);
    // Every cluster allocated, so the full backup copies the whole GiB.
    await run("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a 0 ${DISK_MIB}M`, DISK], { timeoutMs: 300_000 });
    await writeFile(join(DIR, "domain.xml"), domainXml(), { mode: 0o644 });
    await virsh(["define", join(DIR, "domain.xml")]);
    defined = true;
    await virsh(["start", NAME]);
    await virsh(["pool-create-as", `${NAME}-pool`, "dir", "--target", DIR]);
    pool = true;
    await setBackupTarget(db, resolveHost(db, "local"), `${NAME}-pool`, admin);
    const vm = await resolveVm(resolveHost(db, "local"), admin, await virsh(["domuuid", NAME]));

    let t = performance.now();
    const full = await runBackup(db, vm, { user: admin, quiesce }).done;
    const fullS = (performance.now() - t) / 1000;
    made.push(full.id);

    await virsh(["qemu-monitor-command", NAME, "--hmp", `qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend "write -P 0xa5 100M ${CHANGED_MIB}M"`]);
    t = performance.now();
    const inc = await runBackup(db, vm, { user: admin, quiesce }).done;
    const incS = (performance.now() - t) / 1000;
    made.unshift(inc.id);
    if (inc.kind !== "incremental") throw new Error(`the second backup was ${inc.kind}, not incremental`);

    console.log(
      table([
        ["backup (1 GiB qcow2 disk, running TCG VM)", "time", "file bytes", "MiB/s of the disk", "MiB/s written"],
        ["full", `${fullS.toFixed(2)} s`, `${(full.bytes! / MiB).toFixed(1)} MiB`, (DISK_MIB / fullS).toFixed(0), (full.bytes! / MiB / fullS).toFixed(0)],
        [
          `incremental after ${CHANGED_MIB} MiB changed`,
          `${incS.toFixed(2)} s`,
          `${(inc.bytes! / MiB).toFixed(1)} MiB`,
          (DISK_MIB / incS).toFixed(0),
          (inc.bytes! / MiB / incS).toFixed(0),
        ],
      ]),
    );
  } finally {
    for (const id of made) {
      const b = backupById(db, id);
      if (b)
        await deleteBackup(db, b, resolveHost(db, "local").conn).catch((err: unknown) => console.error(`backup ${id} not deleted: ${(err as Error).message}`));
    }
    if (defined) {
      await virsh(["destroy", NAME]).catch(() => undefined);
      await virsh(["undefine", NAME, "--checkpoints-metadata"]).catch(() => undefined);
    }
    if (pool) await virsh(["pool-destroy", `${NAME}-pool`]).catch(() => undefined);
    for (const f of [DISK, join(DIR, "domain.xml")]) await unlink(f).catch(() => undefined);
    await rmdir(DIR).catch(() => undefined);
    await closeAllConnections();
    cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
