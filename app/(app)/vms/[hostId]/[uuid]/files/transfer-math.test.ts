import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import {
  SpeedMeter,
  Sha256,
  base64ToBytes,
  baseName,
  bytesToBase64,
  chunkPlan,
  fileNameProblem,
  isTempUploadName,
  joinPath,
  parentPath,
  percentDone,
  secondsLeft,
  tempUploadPath,
} from "./transfer-math";
import { nameProblemText, type FilesTranslator } from "./transfer-words";

const MiB = 1024 * 1024;

describe("chunkPlan", () => {
  it("covers every byte once, in order, each chunk at most chunkBytes, the last one short", () => {
    const plan = chunkPlan(20 * MiB + 5, MiB);
    assert.equal(plan.length, 21);
    assert.deepEqual(plan[0], { offset: 0, length: MiB });
    assert.deepEqual(plan[20], { offset: 20 * MiB, length: 5 });
    let next = 0;
    for (const chunk of plan) {
      assert.equal(chunk.offset, next);
      next += chunk.length;
    }
    assert.equal(next, 20 * MiB + 5);
  });

  it("moves an exact multiple without an empty tail, and an empty file as one empty chunk", () => {
    assert.deepEqual(chunkPlan(2 * 65536, 65536), [
      { offset: 0, length: 65536 },
      { offset: 65536, length: 65536 },
    ]);
    assert.deepEqual(chunkPlan(0, 65536), [{ offset: 0, length: 0 }]);
  });

  it("refuses sizes and chunk sizes that are not whole positive numbers", () => {
    assert.throws(() => chunkPlan(-1, 10), RangeError);
    assert.throws(() => chunkPlan(10, 0), RangeError);
    assert.throws(() => chunkPlan(1.5, 10), RangeError);
  });
});

describe("guest paths and the upload's temporary name", () => {
  it("splits and joins absolute paths", () => {
    assert.equal(baseName("/tmp/a.bin"), "a.bin");
    assert.equal(baseName("/tmp/dir/"), "dir");
    assert.equal(baseName("/"), "/");
    assert.equal(parentPath("/tmp/a.bin"), "/tmp");
    assert.equal(parentPath("/tmp"), "/");
    assert.equal(parentPath("/"), "/");
    assert.equal(joinPath("/tmp/", "a"), "/tmp/a");
    assert.equal(joinPath("/", "tmp"), "/tmp");
  });

  it("puts the temporary beside the target, hidden and marked, and recognises it", () => {
    const temp = tempUploadPath("/var/tmp/report.pdf", "0123456789abcdef");
    assert.equal(temp, "/var/tmp/.report.pdf.kvmm-upload-0123456789abcdef");
    assert.equal(isTempUploadName(baseName(temp)), true);
    assert.equal(isTempUploadName("report.pdf"), false);
    assert.equal(isTempUploadName(".report.pdf.kvmm-upload-"), false);
  });

  it("cuts a long name (by whole characters) so the temporary stays within 255 bytes", () => {
    const long = "ä".repeat(127); // 254 bytes of UTF-8
    const temp = baseName(tempUploadPath(`/tmp/${long}`, "0123456789abcdef"));
    assert.ok(new TextEncoder().encode(temp).length <= 255, `${new TextEncoder().encode(temp).length} bytes`);
    assert.ok(temp.startsWith(".ää") && !temp.includes("\uFFFD"));
    assert.throws(() => tempUploadPath("/tmp/x", "not-hex"), RangeError);
  });

  it("says what is wrong with a file name, in the catalog's words", () => {
    const t = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "vmFiles" }) as unknown as FilesTranslator;
    const words = (name: string) => nameProblemText(t, fileNameProblem(name)!);
    assert.equal(fileNameProblem("ok.txt"), null);
    assert.deepEqual(fileNameProblem(""), { key: "empty" });
    assert.match(words(""), /name/);
    assert.match(words("a/b"), /\//);
    assert.equal(words(".."), '".." is not a file name.');
    assert.deepEqual(fileNameProblem("x".repeat(256)), { key: "tooLong", max: 255 });
    assert.match(words("x".repeat(256)), /255 bytes/);
  });
});

describe("progress and speed", () => {
  it("measures bytes per second over the sliding window, and nothing before two samples", () => {
    const meter = new SpeedMeter(3_000);
    assert.equal(meter.bytesPerSecond(), null);
    meter.record(0, 0);
    assert.equal(meter.bytesPerSecond(), null);
    meter.record(MiB, 1_000);
    assert.equal(meter.bytesPerSecond(), MiB);
    meter.record(2 * MiB, 2_000);
    meter.record(3 * MiB, 3_000);
    // A stall: the rate over the last 3 s falls, the early fast second drops out of the window.
    meter.record(3 * MiB, 6_000);
    assert.equal(meter.bytesPerSecond(), 0);
    meter.record(6 * MiB, 7_000);
    assert.equal(meter.bytesPerSecond(), (3 * MiB * 1000) / 4_000);
  });

  it("gives whole percent and seconds left", () => {
    assert.equal(percentDone(0, 100), 0);
    assert.equal(percentDone(999, 1000), 99);
    assert.equal(percentDone(1000, 1000), 100);
    assert.equal(percentDone(0, 0), 0);
    assert.equal(secondsLeft(MiB, 3 * MiB, MiB), 2);
    assert.equal(secondsLeft(MiB, 3 * MiB, null), null);
  });
});

describe("base64 and SHA-256 in the browser's terms", () => {
  it("round-trips bytes through base64 as Buffer does", () => {
    const data = randomBytes(100_003);
    const text = bytesToBase64(data);
    assert.equal(text, data.toString("base64"));
    assert.deepEqual(Buffer.from(base64ToBytes(text)), data);
    assert.equal(bytesToBase64(new Uint8Array()), "");
  });

  it("hashes like node:crypto whatever the chunking, across block and padding boundaries", () => {
    const hex = (data: Buffer) => createHash("sha256").update(data).digest("hex");
    assert.equal(new Sha256().digestHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(new Sha256().update(Buffer.from("abc")).digestHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (const size of [55, 56, 63, 64, 65, 119, 128, 1000, 300_001]) {
      const data = randomBytes(size);
      const whole = new Sha256().update(data).digestHex();
      assert.equal(whole, hex(data), `${size} bytes at once`);
      const pieces = new Sha256();
      for (let i = 0; i < size; i += 37) pieces.update(data.subarray(i, i + 37));
      assert.equal(pieces.digestHex(), hex(data), `${size} bytes in 37-byte pieces`);
    }
  });

  it("hashes 20 MiB in chunks of 1 MiB like node:crypto", () => {
    const data = randomBytes(20 * MiB);
    const hash = new Sha256();
    const started = performance.now();
    for (const { offset, length } of chunkPlan(data.length, MiB)) hash.update(data.subarray(offset, offset + length));
    assert.equal(hash.digestHex(), createHash("sha256").update(data).digest("hex"));
    console.log(`# Sha256 in TypeScript: ${(20 / ((performance.now() - started) / 1000)).toFixed(0)} MiB/s`);
  });
});
