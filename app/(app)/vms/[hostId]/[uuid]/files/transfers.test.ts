import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { isTempUploadName } from "./transfer-math";
import { TransferCancelled, TransferFailed, download, uploadAtomically, uploadInPlace, type GuestFileCalls } from "./transfers";
import { transferProblemText, type FilesTranslator } from "./transfer-words";

const t = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "vmFiles" }) as unknown as FilesTranslator;
/** A failure as the tab words it in English. */
const words = (err: unknown) => (err instanceof TransferFailed ? transferProblemText(t, err.problem) : "");

/** A guest directory in memory, with a log of the calls made on it. */
function fakeGuest(options: { corrupt?: boolean; onWrite?: (offset: number) => void } = {}) {
  const files = new Map<string, Buffer>();
  const log: string[] = [];
  const calls: Required<GuestFileCalls> = {
    async write(path, offset, contentBase64) {
      log.push(`write ${path} @${offset}`);
      options.onWrite?.(offset);
      const data = Buffer.from(contentBase64, "base64");
      const old = offset === 0 ? Buffer.alloc(0) : (files.get(path) ?? Buffer.alloc(0));
      const next = Buffer.alloc(Math.max(old.length, offset + data.length));
      old.copy(next);
      data.copy(next, offset);
      files.set(path, next);
    },
    async read(path, offset, length) {
      const data = files.get(path)!;
      const bytes = new Uint8Array(data.subarray(offset, offset + length));
      return { bytes, size: data.length, eof: offset + bytes.length >= data.length };
    },
    async stat(path) {
      log.push(`stat ${path}`);
      const data = files.get(path)!;
      const hashed = options.corrupt ? Buffer.concat([data, Buffer.from("x")]) : data;
      return { size: data.length, sha256: createHash("sha256").update(hashed).digest("hex") };
    },
    async rename(from, to) {
      log.push(`rename ${from} -> ${to}`);
      files.set(to, files.get(from)!);
      files.delete(from);
    },
    async remove(path) {
      log.push(`remove ${path}`);
      files.delete(path);
    },
  };
  return { files, log, calls };
}

const TARGET = "/tmp/data.bin";
const RANDOM = "00112233445566778899aabb";
const TEMP = "/tmp/.data.bin.kvmm-upload-00112233445566778899aabb";

describe("upload through our agent", () => {
  it("writes every chunk to the temporary, checks the guest's SHA-256, then renames it over the target", async () => {
    const guest = fakeGuest();
    guest.files.set(TARGET, Buffer.from("old content"));
    const data = randomBytes(2.5 * 1024 + 7);
    const progress: number[] = [];
    const result = await uploadAtomically({
      calls: guest.calls,
      file: new Blob([data]),
      target: TARGET,
      chunkBytes: 1024,
      random: RANDOM,
      signal: new AbortController().signal,
      onProgress: (done) => progress.push(done),
    });
    assert.equal(result.sha256, createHash("sha256").update(data).digest("hex"));
    assert.deepEqual(guest.files.get(TARGET), data);
    assert.deepEqual([...guest.files.keys()], [TARGET]);
    assert.deepEqual(progress, [1024, 2048, 2567]);
    assert.deepEqual(guest.log, [`write ${TEMP} @0`, `write ${TEMP} @1024`, `write ${TEMP} @2048`, `stat ${TEMP}`, `rename ${TEMP} -> ${TARGET}`]);
  });

  it("on cancel halfway, finishes the chunk in flight, removes the temporary and leaves the target as it was", async () => {
    const controller = new AbortController();
    const guest = fakeGuest({ onWrite: (offset) => offset === 2048 && controller.abort() });
    guest.files.set(TARGET, Buffer.from("old content"));
    await assert.rejects(
      uploadAtomically({
        calls: guest.calls,
        file: new Blob([randomBytes(8 * 1024)]),
        target: TARGET,
        chunkBytes: 1024,
        random: RANDOM,
        signal: controller.signal,
        onProgress: () => undefined,
      }),
      TransferCancelled,
    );
    assert.deepEqual([...guest.files.keys()], [TARGET]);
    assert.equal(guest.files.get(TARGET)!.toString(), "old content");
    assert.deepEqual(guest.log.slice(-2), [`write ${TEMP} @2048`, `remove ${TEMP}`]);
    assert.ok(!guest.log.some((line) => line.startsWith("rename")));
  });

  it("on a SHA-256 mismatch, removes the temporary, never renames, and says what differed", async () => {
    const guest = fakeGuest({ corrupt: true });
    await assert.rejects(
      uploadAtomically({
        calls: guest.calls,
        file: new Blob([randomBytes(3000)]),
        target: TARGET,
        chunkBytes: 1024,
        random: RANDOM,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
      (err: unknown) => /SHA-256/.test(words(err)) && words(err).includes(`${TARGET} was left as it was`),
    );
    assert.equal([...guest.files.keys()].filter((name) => isTempUploadName(name.slice(5))).length, 0);
    assert.equal(guest.files.size, 0);
    assert.ok(!guest.log.some((line) => line.startsWith("rename")));
  });

  it("removes the temporary when a chunk's write fails", async () => {
    const guest = fakeGuest({
      onWrite: (offset) => {
        if (offset === 1024) throw new Error("No space left on device");
      },
    });
    await assert.rejects(
      uploadAtomically({
        calls: guest.calls,
        file: new Blob([randomBytes(3000)]),
        target: TARGET,
        chunkBytes: 1024,
        random: RANDOM,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
      /No space left/,
    );
    assert.equal(guest.files.size, 0);
    assert.equal(guest.log.at(-1), `remove ${TEMP}`);
  });
});

describe("upload through qemu-ga and downloads", () => {
  it("writes straight to the target in order when the guest can neither rename nor remove", async () => {
    const guest = fakeGuest();
    const data = randomBytes(65536 * 2 + 1);
    await uploadInPlace({
      calls: guest.calls,
      file: new Blob([data]),
      target: TARGET,
      chunkBytes: 65536,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    assert.deepEqual(guest.files.get(TARGET), data);
    assert.deepEqual(guest.log, [`write ${TARGET} @0`, `write ${TARGET} @65536`, `write ${TARGET} @131072`]);
  });

  it("downloads chunk by chunk into the sink and checks against the guest's SHA-256", async () => {
    const guest = fakeGuest();
    const data = randomBytes(5000);
    guest.files.set(TARGET, data);
    const parts: Uint8Array[] = [];
    const result = await download({
      calls: guest.calls,
      path: TARGET,
      chunkBytes: 1024,
      signal: new AbortController().signal,
      sink: (bytes) => void parts.push(bytes),
      onProgress: () => undefined,
    });
    assert.deepEqual(Buffer.concat(parts), data);
    assert.deepEqual(result, { size: 5000, sha256: createHash("sha256").update(data).digest("hex"), verified: true });
    const { stat: _stat, ...qgaCalls } = guest.calls;
    const unverified = await download({
      calls: qgaCalls,
      path: TARGET,
      chunkBytes: 1024,
      signal: new AbortController().signal,
      sink: () => undefined,
      onProgress: () => undefined,
    });
    assert.equal(unverified.verified, false);
  });

  it("fails a download whose file changed while it was read", async () => {
    const guest = fakeGuest({ corrupt: true });
    guest.files.set(TARGET, randomBytes(3000));
    await assert.rejects(
      download({
        calls: guest.calls,
        path: TARGET,
        chunkBytes: 1024,
        signal: new AbortController().signal,
        sink: () => undefined,
        onProgress: () => undefined,
      }),
      (err: unknown) => err instanceof TransferFailed && err.problem.key === "changedWhileRead" && /changed while it was read/.test(words(err)),
    );
  });

  it("stops reading on cancel", async () => {
    const guest = fakeGuest();
    guest.files.set(TARGET, randomBytes(10_000));
    const controller = new AbortController();
    let chunks = 0;
    await assert.rejects(
      download({
        calls: guest.calls,
        path: TARGET,
        chunkBytes: 1024,
        signal: controller.signal,
        sink: () => {
          if (++chunks === 3) controller.abort();
        },
        onProgress: () => undefined,
      }),
      TransferCancelled,
    );
    assert.equal(chunks, 3);
  });
});
