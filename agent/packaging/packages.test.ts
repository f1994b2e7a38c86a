import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AGENT_VERSION } from "../src/version";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const has = (tool: string) =>
  run("sh", ["-c", `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
const [dpkg, rpmQuery, rpmBuild, xorriso, systemdAnalyze] = await Promise.all(["dpkg-deb", "rpm", "rpmbuild", "xorriso", "systemd-analyze"].map(has));
const rpm = rpmQuery && rpmBuild;

const installed = [
  "usr/lib/kvmmanager-agent/kvmm-agent.cjs",
  "usr/lib/kvmmanager-agent/kvmm-launcher.cjs",
  "usr/lib/kvmmanager-agent/update-key.pem",
  "usr/bin/kvmmanager-agent",
  "etc/kvmmanager-agent/config.json",
];

describe("agent packages", () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "kvmm-packages-"));
    // A private key, as the manager keeps it: only its public half may reach the package.
    const key = path.join(out, "signing-key.pem");
    await writeFile(key, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await run(process.execPath, [path.join(here, "build.mjs"), "--out", out, "--update-key", key]);
  });
  after(() => rm(out, { recursive: true, force: true }));

  it(".deb holds the bundle, its launcher, the update key, the unit, the udev rule and a conffile, and depends on nodejs >= 18", { skip: !dpkg }, async () => {
    const deb = path.join(out, `kvmmanager-agent_${AGENT_VERSION}_all.deb`);
    const { stdout: listing } = await run("dpkg-deb", ["-c", deb]);
    for (const file of [...installed, "usr/lib/systemd/system/kvmmanager-agent.service", "usr/lib/udev/rules.d/60-kvmmanager-agent.rules"]) {
      assert.match(listing, new RegExp(`\\./${file.replace(/\./g, "\\.")}`));
    }
    assert.equal((await run("dpkg-deb", ["-f", deb, "Depends"])).stdout.trim(), "nodejs (>= 18)");
    assert.equal((await run("dpkg-deb", ["-I", deb, "conffiles"])).stdout.trim(), "/etc/kvmmanager-agent/config.json");
    const { stdout: key } = await run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/lib/kvmmanager-agent/update-key.pem', "sh", deb]);
    assert.match(key, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.doesNotMatch(key, /PRIVATE/);
  });

  it(".rpm lists the same files and requires nodejs", { skip: !rpm }, async () => {
    const file = path.join(out, `kvmmanager-agent-${AGENT_VERSION}-1.noarch.rpm`);
    const { stdout: listing } = await run("rpm", ["-qlp", file]);
    for (const installedFile of installed) assert.ok(listing.includes(`/${installedFile}`), installedFile);
    const { stdout: requires } = await run("rpm", ["-qp", "--requires", file]);
    assert.match(requires, /^nodejs >= 1:18$/m);
  });

  it("Alpine tarball carries the OpenRC script", async () => {
    const { stdout } = await run("tar", ["-tzf", path.join(out, `kvmmanager-agent-${AGENT_VERSION}-alpine.tar.gz`)]);
    for (const file of [...installed, "etc/init.d/kvmmanager-agent"]) assert.ok(stdout.includes(`./${file}`), file);
  });

  it("the agent ISO is labelled KVMM_AGENT and carries bundle, units and install.sh", { skip: !xorriso }, async () => {
    const iso = path.join(out, "kvmmanager-guest-agent.iso");
    const { stdout: info } = await run("xorriso", ["-indev", iso, "-pvd_info"]);
    assert.match(info, /Volume Id\s*:\s*KVMM_AGENT/);
    const { stdout: listing } = await run("xorriso", ["-indev", iso, "-ls"]);
    for (const name of [
      "kvmm-agent.cjs",
      "kvmm-launcher.cjs",
      "update-key.pem",
      "install.sh",
      "kvmmanager-agent.service",
      "kvmmanager-agent.openrc",
      "60-kvmmanager-agent.rules",
      "cloud-init.yaml",
    ]) {
      assert.ok(listing.includes(`'${name}'`), name);
    }
  });

  it("the systemd unit verifies and install.sh parses", { skip: !systemdAnalyze }, async () => {
    await run("systemd-analyze", ["verify", path.join(here, "files", "kvmmanager-agent.service")]);
    await run("sh", ["-n", path.join(here, "files", "install.sh")]);
  });
});
