import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentClient } from "../protocol/client";
import { ErrorCode, RpcError } from "../protocol/errors";
import { startHost, type Host } from "./harness";

const MiB = 1024 * 1024;
const refusedWith = (code: number) => (error: unknown) => error instanceof RpcError && error.code === code;

describe("file operations", () => {
  let host: Host;
  let client: AgentClient;
  let outside: string;
  before(async () => {
    host = await startHost();
    client = await host.client();
    outside = path.join(host.dir, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "secret"), "top secret");
  });
  after(() => host.stop());

  it("writes, stats, lists and reads a file", async () => {
    const file = path.join(host.allowed, "hello.txt");
    const written = await client.call("file_write", { path: file, content_base64: Buffer.from("hello").toString("base64"), mode: 0o640 });
    assert.deepEqual(written, { path: file, bytes_written: 5, size: 5 });
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    const info = await client.call("file_stat", { path: file, sha256: true });
    assert.equal(info.type, "file");
    assert.equal(info.sha256, createHash("sha256").update("hello").digest("hex"));
    const listing = await client.call("file_list", { path: host.allowed });
    assert.ok(listing.entries.some((entry) => entry.name === "hello.txt" && entry.size === 5));
    const read = await client.call("file_read", { path: file, offset: 1, length: 3 });
    assert.deepEqual(read, { content_base64: Buffer.from("ell").toString("base64"), length: 3, eof: false, size: 5 });
  });

  it("replaces a file atomically and creates missing directories on request", async () => {
    const file = path.join(host.allowed, "deep", "er", "config.ini");
    await assert.rejects(client.call("file_write", { path: file, content_base64: "eA==" }), refusedWith(ErrorCode.NotFound));
    await client.call("file_write", { path: file, content_base64: "eA==", create_dirs: true });
    await client.call("file_write", { path: file, content_base64: Buffer.from("second").toString("base64") });
    assert.equal(await readFile(file, "utf8"), "second");
  });

  it("refuses .. traversal and paths outside allowed_paths without revealing whether they exist", async () => {
    const traversal = path.join(host.allowed, "..", "outside", "secret");
    await assert.rejects(client.call("file_read", { path: traversal }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(client.call("file_stat", { path: "/etc/passwd" }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(client.call("file_stat", { path: "/etc/no-such-file" }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(
      client.call("file_write", { path: path.join(host.allowed, "missing", "..", "..", "outside", "x"), content_base64: "" }),
      refusedWith(ErrorCode.PathNotAllowed),
    );
    await assert.rejects(client.call("file_list", { path: "relative/path" }), refusedWith(ErrorCode.PathNotAllowed));
  });

  it("refuses symlink escapes for reading, writing and listing", async () => {
    await symlink(path.join(outside, "secret"), path.join(host.allowed, "link-to-secret"));
    await symlink(outside, path.join(host.allowed, "link-to-dir"));
    await assert.rejects(client.call("file_read", { path: path.join(host.allowed, "link-to-secret") }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(client.call("file_list", { path: path.join(host.allowed, "link-to-dir") }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(
      client.call("file_write", { path: path.join(host.allowed, "link-to-dir", "planted"), content_base64: "eA==" }),
      refusedWith(ErrorCode.PathNotAllowed),
    );
    await assert.rejects(
      client.call("file_write", { path: path.join(host.allowed, "link-to-secret"), content_base64: "eA==" }),
      refusedWith(ErrorCode.PathNotAllowed),
    );
    assert.equal(await readFile(path.join(outside, "secret"), "utf8"), "top secret");
    await assert.rejects(stat(path.join(outside, "planted")));
  });

  it("refuses chunks above max_file_chunk_bytes", async () => {
    const { limits } = await client.call("get_agent_info");
    await assert.rejects(
      client.call("file_read", { path: path.join(host.allowed, "hello.txt"), length: limits.max_file_chunk_bytes + 1 }),
      refusedWith(ErrorCode.TooLarge),
    );
  });

  it("renames a file over an existing one, reports allowed_paths, and keeps both ends inside them", async () => {
    const temp = path.join(host.allowed, ".target.txt.kvmm-upload-abc");
    const target = path.join(host.allowed, "target.txt");
    await writeFile(target, "old");
    await writeFile(temp, "new");
    assert.deepEqual(await client.call("file_rename", { from: temp, to: target }), { from: temp, to: target });
    assert.equal(await readFile(target, "utf8"), "new");
    await assert.rejects(stat(temp));
    assert.deepEqual((await client.call("get_agent_info")).allowed_paths, [host.allowed]);
    await assert.rejects(client.call("file_rename", { from: temp, to: target }), refusedWith(ErrorCode.NotFound));
    await assert.rejects(client.call("file_rename", { from: target, to: path.join(outside, "stolen") }), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(client.call("file_rename", { from: path.join(outside, "secret"), to: target }), refusedWith(ErrorCode.PathNotAllowed));
    await mkdir(path.join(host.allowed, "a-dir"));
    await assert.rejects(client.call("file_rename", { from: target, to: path.join(host.allowed, "a-dir") }), refusedWith(ErrorCode.IoError));
    assert.equal(await readFile(target, "utf8"), "new");
    assert.equal(await readFile(path.join(outside, "secret"), "utf8"), "top secret");
  });

  it("removes a file and a symlink (not its target), refuses directories and paths outside", async () => {
    const file = path.join(host.allowed, "doomed.txt");
    await writeFile(file, "x");
    assert.deepEqual(await client.call("file_remove", { path: file }), { path: file });
    await assert.rejects(stat(file));
    await assert.rejects(client.call("file_remove", { path: file }), refusedWith(ErrorCode.NotFound));
    const link = path.join(host.allowed, "link-to-outside-secret");
    await symlink(path.join(outside, "secret"), link);
    await client.call("file_remove", { path: link });
    assert.equal(await readFile(path.join(outside, "secret"), "utf8"), "top secret");
    await mkdir(path.join(host.allowed, "kept-dir"));
    await assert.rejects(client.call("file_remove", { path: path.join(host.allowed, "kept-dir") }), refusedWith(ErrorCode.IoError));
    await assert.rejects(client.call("file_remove", { path: host.allowed }), refusedWith(ErrorCode.IoError));
    await assert.rejects(client.call("file_remove", { path: path.join(outside, "secret") }), refusedWith(ErrorCode.PathNotAllowed));
    await stat(path.join(host.allowed, "kept-dir"));
  });

  it("moves a 50 MiB file up and back down in chunks with an equal SHA-256", async () => {
    const content = randomBytes(50 * MiB);
    const expected = createHash("sha256").update(content).digest("hex");
    const file = path.join(host.allowed, "big.bin");
    const { limits } = await client.call("get_agent_info");
    const chunk = limits.max_file_chunk_bytes;
    const started = performance.now();
    for (let offset = 0; offset < content.length; offset += chunk) {
      const part = content.subarray(offset, offset + chunk).toString("base64");
      await client.call("file_write", offset === 0 ? { path: file, content_base64: part } : { path: file, content_base64: part, offset });
    }
    const uploaded = performance.now();
    assert.equal((await client.call("file_stat", { path: file, sha256: true })).sha256, expected);
    const hash = createHash("sha256");
    let offset = 0;
    for (;;) {
      const part = await client.call("file_read", { path: file, offset, length: chunk });
      hash.update(Buffer.from(part.content_base64, "base64"));
      offset += part.length;
      if (part.eof) break;
    }
    const downloaded = performance.now();
    assert.equal(offset, content.length);
    assert.equal(hash.digest("hex"), expected);
    const rate = (ms: number) => (50 / (ms / 1000)).toFixed(1);
    console.log(`# 50 MiB over a unix socket: upload ${rate(uploaded - started)} MiB/s, download ${rate(downloaded - uploaded)} MiB/s`);
  });
});

describe("file operations switched off", () => {
  let host: Host;
  before(async () => {
    host = await startHost({ config: { file_write_enabled: false, file_read_enabled: false } });
  });
  after(() => host.stop());

  it("answers PermissionDenied and leaves the capabilities out", async () => {
    const client = await host.client();
    const info = await client.call("get_agent_info");
    assert.equal(info.capabilities.includes("file.write"), false);
    assert.equal(info.capabilities.includes("file.read"), false);
    assert.equal(info.capabilities.includes("file.manage"), false);
    await assert.rejects(
      client.call("file_write", { path: path.join(host.allowed, "x"), content_base64: "" }),
      (error: unknown) => error instanceof RpcError && error.code === ErrorCode.PermissionDenied && /file_write_enabled/.test(error.message),
    );
    await assert.rejects(client.call("file_read", { path: path.join(host.allowed, "x") }), refusedWith(ErrorCode.PermissionDenied));
    await assert.rejects(client.call("file_remove", { path: path.join(host.allowed, "x") }), refusedWith(ErrorCode.PermissionDenied));
    await assert.rejects(
      client.call("file_rename", { from: path.join(host.allowed, "x"), to: path.join(host.allowed, "y") }),
      refusedWith(ErrorCode.PermissionDenied),
    );
  });
});
