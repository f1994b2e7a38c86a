import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, openSync, writeSync, closeSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkManifest, hashFile, readManifest, writeManifest, MANIFEST_FILE } from "./manifest";

const dir = mkdtempSync(join(tmpdir(), "kvmm-manifest-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const head = {
  backupId: "b1",
  vm: { hostId: "local", uuid: "11111111-2222-3333-4444-555555555555", name: "web-1" },
  kind: "full" as const,
  parentId: null,
  checkpoint: "kvmm-b1",
  createdAt: "2026-11-28T01:00:00.000Z",
};

test("hashFile streams a file larger than one chunk and reports every byte", async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  writeFileSync(join(dir, "big.bin"), data);
  let seen = 0;
  const { sha256, bytes } = await hashFile(join(dir, "big.bin"), (n) => (seen += n));
  assert.equal(bytes, data.length);
  assert.equal(seen, data.length);
  assert.equal(sha256, createHash("sha256").update(data).digest("hex"));
});

test("writeManifest records size and SHA-256 of each file; readManifest reads it back; checkManifest finds nothing wrong", async () => {
  writeFileSync(join(dir, "vda.qcow2"), "disk bytes");
  writeFileSync(join(dir, "domain.xml"), "<domain/>");
  const written = await writeManifest(dir, head, ["vda.qcow2", "domain.xml"]);
  assert.deepEqual(
    written.files.map((f) => [f.name, f.bytes]),
    [
      ["vda.qcow2", 10],
      ["domain.xml", 9],
    ],
  );
  assert.deepEqual(await readManifest(dir), written);
  assert.ok((await checkManifest(dir, written)).every((c) => c.ok));
});

test("checkManifest names a flipped byte, a changed size and a missing file", async () => {
  const manifest = await readManifest(dir);
  const fd = openSync(join(dir, "vda.qcow2"), "r+");
  writeSync(fd, Buffer.from("D"), 0, 1, 0);
  closeSync(fd);
  let checks = await checkManifest(dir, manifest);
  assert.deepEqual(
    checks.map((c) => c.problem),
    ["vda.qcow2: SHA-256 differs from the manifest", null],
  );
  writeFileSync(join(dir, "domain.xml"), "<domain/>\n");
  unlinkSync(join(dir, "vda.qcow2"));
  checks = await checkManifest(dir, manifest);
  assert.deepEqual(
    checks.map((c) => c.problem),
    ["vda.qcow2 is missing", "domain.xml has 10 bytes, the manifest says 9"],
  );
});

test("readManifest refuses a manifest naming a file outside its directory", async () => {
  const good = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8"));
  good.files[0].name = "../etc/passwd";
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(good));
  await assert.rejects(readManifest(dir));
});
