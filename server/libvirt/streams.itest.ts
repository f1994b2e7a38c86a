// Data streams against the real libvirtd: volume upload/download on a
// throwaway directory pool, and the console, a channel and a screenshot of a
// small TCG guest (the test guest's kernel alone, which prints its boot log
// on the serial console). Everything is named kvmm-test-* and removed after.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { after, before, test } from "node:test";
import { Connection, VIR_DOMAIN_START_PAUSED, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM, type LibvirtStream, type protocol } from "./index";
import { waitFor } from "./testing/libvirtd";

const CACHE_DIR = process.env.KVMM_CACHE_DIR || "/var/cache/kvm-manager";
const GUEST_IMAGE = path.join(CACHE_DIR, "test-guest", "image.json");
const MiB = 1024 * 1024;

let conn: Connection;
let poolDir: string;
let pool: protocol.NonnullStoragePool;

before(async () => {
  conn = await Connection.open("qemu:///system");
  // libvirtd runs as root and must reach the directory; /tmp is fine for a dir pool.
  poolDir = mkdtempSync("/tmp/kvmm-test-pool-");
  const name = path.basename(poolDir);
  pool = await conn.storagePoolCreateXml({
    xml: `<pool type='dir'><name>${name}</name><target><path>${poolDir}</path></target></pool>`,
    flags: 0,
  });
});

after(async () => {
  await conn.storagePoolDestroy({ pool }).catch(() => {});
  rmSync(poolDir, { recursive: true, force: true });
  await conn.close();
});

async function collect(stream: LibvirtStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test("uploads a volume and downloads it back, plainly and as a sparse stream", async () => {
  const vol = await conn.storageVolCreateXml({
    pool,
    xml: `<volume><name>kvmm-test-vol.raw</name><capacity unit='bytes'>${8 * MiB}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>`,
    flags: 0,
  });
  try {
    // Not a multiple of 4 nor of the 256 KiB packet size: no padding may creep in.
    const data = randomBytes(3 * MiB + 5);
    const upload = await conn.storageVolUpload({ vol, offset: 0n, length: BigInt(data.length), flags: 0 });
    await pipeline(Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), upload);

    const expected = Buffer.concat([data, Buffer.alloc(8 * MiB - data.length)]);
    const plain = await collect(await conn.storageVolDownload({ vol, offset: 0n, length: 0n, flags: 0 }));
    assert.equal(plain.length, expected.length);
    assert.ok(plain.equals(expected), "plain download matches what was uploaded");

    const sparse = await collect(await conn.storageVolDownload({ vol, offset: 0n, length: 0n, flags: VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM }));
    assert.ok(sparse.equals(expected), "sparse download (holes as zeros) matches too");

    const part = await collect(await conn.storageVolDownload({ vol, offset: 10n, length: 100n, flags: 0 }));
    assert.ok(part.equals(data.subarray(10, 110)));
  } finally {
    await conn.storageVolDelete({ vol, flags: 0 });
  }
});

interface GuestImage {
  kernel: string;
}

function guestKernel(): string | null {
  if (!existsSync(GUEST_IMAGE)) return null;
  const { kernel } = JSON.parse(readFileSync(GUEST_IMAGE, "utf8")) as GuestImage;
  return existsSync(kernel) ? kernel : null;
}

const kernel = guestKernel();

test(
  "reads the serial console, writes to a channel and takes a screenshot of a running guest",
  { skip: kernel ? false : `test guest not built (${GUEST_IMAGE}); run scripts/build-test-guest.sh` },
  async () => {
    const name = `kvmm-test-stream-${randomUUID().slice(0, 8)}`;
    const xml = `<domain type='qemu'>
      <name>${name}</name>
      <memory unit='MiB'>128</memory>
      <vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel><cmdline>console=ttyS0 panic=-1</cmdline></os>
      <on_reboot>destroy</on_reboot>
      <devices>
        <serial type='pty'/>
        <console type='pty'><target type='serial'/></console>
        <channel type='unix'><source mode='bind'/><target type='virtio' name='org.kvmmanager.test.0'/></channel>
        <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
        <video><model type='vga'/></video>
      </devices>
    </domain>`;
    // Paused, so the console is open before the kernel prints its first line.
    const dom = await conn.domainCreateXml({ xmlDesc: xml, flags: VIR_DOMAIN_START_PAUSED });
    try {
      const console = await conn.domainOpenConsole({ dom, devName: null, flags: 0 });
      let text = "";
      console.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      await conn.domainResume({ dom });
      await waitFor("the kernel banner on the serial console", () => text.includes("Linux version"), 60_000);
      console.write("\r\n"); // the duplex also writes (nobody reads it in this guest)
      console.destroy();

      const channel = await conn.domainOpenChannel({ dom, name: "org.kvmmanager.test.0", flags: 0 });
      await new Promise<void>((resolve, reject) => channel.write('{"jsonrpc":"2.0","method":"ping"}\n', (err) => (err ? reject(err) : resolve())));
      channel.destroy();

      const { ret: mime, stream } = await conn.domainScreenshot({ dom, screen: 0, flags: 0 });
      const image = await collect(stream);
      // QEMU ≥ 7.1 gives PNG, older ones PPM.
      const magic = mime === "image/png" ? "\x89PNG" : "P6";
      assert.ok(mime === "image/png" || mime === "image/x-portable-pixmap", `mime ${mime}`);
      assert.equal(image.subarray(0, magic.length).toString("latin1"), magic, `a ${mime} image`);
      await finished(stream);
    } finally {
      await conn.domainDestroy({ dom }).catch(() => {});
    }
  },
);
