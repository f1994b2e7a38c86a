import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../protocol/errors";
import { Walk } from "./confine";

const refusedWith = (code: number) => (error: unknown) => error instanceof RpcError && error.code === code;

/** Where a path leads by the walk's rules, as a real path (the final symlink followed, as the file methods do). */
async function resolved(requested: string, roots: string[]): Promise<string> {
  const walk = await Walk.toEntry(requested, roots);
  try {
    if (walk.name !== null) await walk.stat();
    return walk.real;
  } finally {
    walk.close();
  }
}

describe("Walk", () => {
  let dir: string;
  let root: string;
  let other: string;
  let outside: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-walk-"));
    [root, other, outside] = ["root", "other", "outside"].map((name) => path.join(dir, name)) as [string, string, string];
    await mkdir(path.join(root, "a", "b"), { recursive: true });
    await mkdir(other);
    await mkdir(outside);
    await writeFile(path.join(root, "a", "b", "file"), "x");
    await writeFile(path.join(other, "file"), "x");
    await writeFile(path.join(outside, "secret"), "x");
    await symlink("a/b", path.join(root, "relative"));
    await symlink(path.join(other, "file"), path.join(root, "to-other-root"));
    await symlink("../outside", path.join(root, "up-and-out"));
    await symlink(outside, path.join(root, "absolute-out"));
    await symlink("loop", path.join(root, "loop"));
    await symlink(".", path.join(root, "a", "here"));
    await symlink(root, path.join(dir, "root-link"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("follows a symlink whose target stays inside the roots, relative or absolute", async () => {
    assert.equal(await resolved(path.join(root, "relative", "file"), [root]), path.join(root, "a", "b", "file"));
    assert.equal(await resolved(path.join(root, "relative"), [root]), path.join(root, "a", "b"));
    assert.equal(await resolved(path.join(root, "a", "here"), [root]), path.join(root, "a"));
    assert.equal(await resolved(path.join(root, "a", "here", "b", "file"), [root]), path.join(root, "a", "b", "file"));
    assert.equal(await resolved(path.join(root, "to-other-root"), [root, other]), path.join(other, "file"));
  });

  it("refuses a symlink whose target leaves the roots, on the way or at the end", async () => {
    await assert.rejects(resolved(path.join(root, "to-other-root"), [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved(path.join(root, "up-and-out", "secret"), [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved(path.join(root, "absolute-out", "secret"), [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved(path.join(root, "absolute-out"), [root]), refusedWith(ErrorCode.PathNotAllowed));
  });

  it("lets .. climb inside a root but not above it", async () => {
    assert.equal(await resolved(`${root}/a/b/../b/./file`, [root]), path.join(root, "a", "b", "file"));
    assert.equal(await resolved(`${root}/relative/..`, [root]), path.join(root, "a"));
    await assert.rejects(resolved(`${root}/a/../../outside/secret`, [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved(`${root}/..`, [root]), refusedWith(ErrorCode.PathNotAllowed));
  });

  it("accepts a root by its configured and by its real path, and refuses everything else", async () => {
    const viaLink = path.join(dir, "root-link");
    assert.equal(await resolved(path.join(viaLink, "a"), [viaLink]), path.join(root, "a"));
    assert.equal(await resolved(path.join(root, "a"), [viaLink]), path.join(root, "a"));
    assert.equal(await resolved(root, [root]), root);
    await assert.rejects(resolved(path.join(outside, "secret"), [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved(`${root}-sibling/x`, [root]), refusedWith(ErrorCode.PathNotAllowed));
    await assert.rejects(resolved("a/b", [root]), refusedWith(ErrorCode.PathNotAllowed));
  });

  it("keeps acting in the walked directory after its path is swapped for a symlink to outside", async () => {
    const swapped = path.join(root, "swapped");
    await mkdir(swapped);
    const walk = await Walk.toEntry(path.join(swapped, "file"), [root]);
    try {
      await rename(swapped, `${swapped}.moved`);
      await symlink(outside, swapped);
      await writeFile(walk.inDir("temp"), "x");
      await rename(walk.inDir("temp"), walk.inDir("file"));
      await mkdir(walk.inDir("made"));
      assert.deepEqual((await readdir(walk.dir.via)).sort(), ["file", "made"]);
    } finally {
      walk.close();
    }
    assert.deepEqual((await readdir(`${swapped}.moved`)).sort(), ["file", "made"]);
    assert.deepEqual(await readdir(outside), ["secret"]);
  });

  it("gives up on a symlink loop", async () => {
    await assert.rejects(
      resolved(path.join(root, "loop"), [root]),
      (error: unknown) => error instanceof RpcError && (error.data as { errno: string }).errno === "ELOOP",
    );
  });

  it("reports a missing directory on the way as NotFound, and creates it one level at a time when asked", async () => {
    const deep = path.join(root, "new", "deeper", "file");
    await assert.rejects(Walk.toEntry(deep, [root]), refusedWith(ErrorCode.NotFound));
    const walk = await Walk.toEntry(deep, [root], { createDirs: true });
    walk.close();
    assert.deepEqual(await readdir(path.join(root, "new", "deeper")), []);
    assert.equal(walk.real, deep);
  });
});
