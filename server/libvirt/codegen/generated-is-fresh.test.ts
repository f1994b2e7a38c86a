import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { generate } from "./generate";
import { defaultProtocolDir, GENERATED_DIR } from "./protocol-dir";

const protocolDir = process.env.KVMM_LIBVIRT_PROTOCOL_DIR || defaultProtocolDir();
const skip =
  protocolDir && existsSync(protocolDir)
    ? false
    : `libvirt protocol files not found (${protocolDir ?? "libvirt0 not installed"}); run scripts/fetch-libvirt-protocol.sh`;

test("generated/ matches what the generator makes from the installed libvirt", { skip }, async () => {
  const fresh = await generate(protocolDir!);
  const committed = (await readdir(GENERATED_DIR)).filter((f) => f.endsWith(".ts")).sort();
  assert.deepEqual(committed, [...fresh.keys()].sort(), "generated/ holds other files than the generator writes");
  for (const [name, text] of fresh) {
    const current = await readFile(path.join(GENERATED_DIR, name), "utf8");
    assert.ok(current === text, `generated/${name} is stale: run npx tsx server/libvirt/codegen/main.ts ${protocolDir} server/libvirt/generated`);
  }
});
