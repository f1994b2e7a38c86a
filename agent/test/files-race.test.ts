import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, readdir, readFile, writeFile, lstat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AgentClient } from "../protocol/client";
import { ErrorCode, RpcError } from "../protocol/errors";
import { startHost, waitFor, type Host } from "./harness";

const OPERATIONS = 1_000;
const IN_FLIGHT = 4;
const INSIDE_TEXT = "inside\n";
const OUTSIDE_TEXT = "OUTSIDE secret, longer than the inside text\n";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Swaps allowed/sub between its real directory and a symlink to the outside
 * directory as fast as it can, in its own process so it runs truly beside the
 * agent, until the stop file appears; then prints how many swaps it made. A
 * directory the agent created at `sub` during a gap (create_dirs) is moved aside.
 */
const SWAPPER = `
const fs = require('node:fs');
const [allowed, outside, stop] = process.argv.slice(1);
const sub = allowed + '/sub', away = allowed + '/sub.away';
let swaps = 0, created = 0;
const attempt = (work) => { try { work(); return true; } catch { return false; } };
while (!fs.existsSync(stop)) {
  attempt(() => fs.renameSync(sub, away));
  if (attempt(() => fs.symlinkSync(outside, sub))) swaps++;
  attempt(() => fs.unlinkSync(sub));
  if (!attempt(() => fs.renameSync(away, sub)) && attempt(() => fs.renameSync(sub, allowed + '/created.' + created++))) {
    attempt(() => fs.renameSync(away, sub));
  }
}
process.stdout.write(String(swaps));
`;

/** Every name under `dir` with the SHA-256 of each file, so any change outside shows. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, name);
    const info = await lstat(file);
    result[name] = info.isFile() ? sha256(await readFile(file, "utf8")) : info.isDirectory() ? "directory" : "other";
  }
  return result;
}

describe("file confinement while a directory is swapped for a symlink", () => {
  let host: Host;
  let client: AgentClient;
  let outside: string;
  before(async () => {
    host = await startHost();
    client = await host.client();
    outside = path.join(host.dir, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "doc.txt"), OUTSIDE_TEXT);
    await writeFile(path.join(outside, "inplace.txt"), OUTSIDE_TEXT);
    await writeFile(path.join(outside, "only-outside"), OUTSIDE_TEXT);
    await mkdir(path.join(host.allowed, "sub"));
    await writeFile(path.join(host.allowed, "sub", "doc.txt"), INSIDE_TEXT);
  });
  after(() => host.stop());

  it(`lets none of ${OPERATIONS} mixed file operations reach outside the roots`, async () => {
    const before = await snapshot(outside);
    const sub = path.join(host.allowed, "sub");
    const escapes: string[] = [];
    const succeeded = new Map<string, number>();
    const showsOutside = (what: string, answer: unknown) => {
      const text = JSON.stringify(answer);
      if (
        text.includes(outside) ||
        text.includes("only-outside") ||
        text.includes(sha256(OUTSIDE_TEXT)) ||
        text.includes(Buffer.from(OUTSIDE_TEXT).toString("base64")) ||
        text.includes(`"size":${OUTSIDE_TEXT.length}`)
      ) {
        escapes.push(`${what} answered ${text.slice(0, 200)}`);
      }
    };
    const operations: Array<(i: number) => [string, Promise<unknown>]> = [
      () => ["file_list sub", client.call("file_list", { path: sub })],
      () => ["file_read sub/doc.txt", client.call("file_read", { path: path.join(sub, "doc.txt") })],
      () => ["file_stat sub/doc.txt", client.call("file_stat", { path: path.join(sub, "doc.txt"), sha256: true })],
      () => [
        "file_write sub/doc.txt",
        client.call("file_write", { path: path.join(sub, "doc.txt"), content_base64: Buffer.from(INSIDE_TEXT).toString("base64") }),
      ],
      () => ["file_write sub/inplace.txt at an offset", client.call("file_write", { path: path.join(sub, "inplace.txt"), content_base64: "eA==", offset: 1 })],
      (i) => [
        "file_write create_dirs",
        client.call("file_write", { path: path.join(sub, `made-${i}`, "deeper", "f.txt"), content_base64: "eA==", create_dirs: true }),
      ],
    ];

    const stop = path.join(host.dir, "stop-swapping");
    const swapper = spawn(process.execPath, ["-e", SWAPPER, host.allowed, outside, stop], { stdio: ["ignore", "pipe", "inherit"] });
    let swapOutput = "";
    swapper.stdout.on("data", (chunk: Buffer) => (swapOutput += chunk.toString()));
    await waitFor("the swapper to swap", async () => ((await lstat(sub).catch(() => null))?.isSymbolicLink() ? true : undefined));
    try {
      let next = 0;
      const worker = async () => {
        while (next < OPERATIONS) {
          const i = next++;
          const [what, call] = operations[i % operations.length]!(i);
          try {
            showsOutside(what, await call);
            succeeded.set(what, (succeeded.get(what) ?? 0) + 1);
          } catch (error) {
            // Refusals and files missing mid-swap are expected; anything else (a timeout from a dead agent) ends the run.
            const expected = [ErrorCode.PathNotAllowed, ErrorCode.NotFound, ErrorCode.IoError] as number[];
            if (!(error instanceof RpcError) || !expected.includes(error.code)) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    } finally {
      await writeFile(stop, "");
      await once(swapper, "exit");
    }

    const after = await snapshot(outside);
    // One escape per top-level entry: a create_dirs escape makes a directory, a subdirectory and a file.
    const touched = new Set(
      Object.keys(after)
        .filter((name) => before[name] !== after[name])
        .map((name) => name.split(path.sep)[0]),
    );
    for (const name of touched) escapes.push(`outside/${name} was created or changed`);
    assert.deepEqual(
      escapes,
      [],
      `${escapes.length} escapes (${escapes.length - touched.size} answers showed outside data, ${touched.size} entries outside created or changed)`,
    );
    assert.ok(Number(swapOutput) > 0, "the swapper made no swap");
    assert.ok(succeeded.size > 0, "no operation succeeded, so nothing was tested");
    const tally = [...succeeded].map(([what, count]) => `${what} ${count}`).join(", ");
    console.log(`# ${OPERATIONS} operations beside ${swapOutput} swaps, no escape; succeeded: ${tally}`);
  });
});
