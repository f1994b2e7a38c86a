// Builds the agent's packages into agent/dist/packages (or --out DIR):
//   .deb (dpkg-deb), .rpm (rpmbuild), Alpine tarball with an OpenRC script,
//   and kvmmanager-guest-agent.iso (xorriso or genisoimage) with install.sh.
// A format whose tool is missing is skipped with a message; --require-all makes that an error.
// The update key (self-update, agent/README.md): --update-key FILE, else $KVMM_AGENT_UPDATE_KEY, else the
// manager's own signing key ($KVMM_DATA_DIR or ./data, agent-update-key.pem) when it exists; a private or
// public Ed25519 PEM, of which only the public half is packaged. Without one the package cannot be updated.
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const agentDir = path.dirname(here);
const files = path.join(here, "files");
const { values } = parseArgs({ options: { out: { type: "string" }, "require-all": { type: "boolean" }, "update-key": { type: "string" } } });
const out = path.resolve(values.out ?? path.join(agentDir, "dist", "packages"));

const NAME = "kvmmanager-agent";
const versionSource = await readFile(path.join(agentDir, "src", "version.ts"), "utf8");
const VERSION = /AGENT_VERSION = ["']([^"']+)["']/.exec(versionSource)?.[1];
if (!VERSION) throw new Error("agent/src/version.ts: AGENT_VERSION not found");
const SUMMARY = "KVM Manager guest agent";
const DESCRIPTION = "Answers KVM Manager over the virtio-serial port org.kvmmanager.agent.0: system facts, metrics, files, commands, power.";

/** The public half of the update signing key, PEM, or null when none is found. */
async function updateKeyPem() {
  const hostKey = path.resolve(process.env.KVMM_DATA_DIR ?? "data", "agent-update-key.pem");
  const file = values["update-key"] ?? process.env.KVMM_AGENT_UPDATE_KEY ?? (existsSync(hostKey) ? hostKey : undefined);
  if (!file) return null;
  const key = createPublicKey(await readFile(file, "utf8"));
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${file}: not an Ed25519 key`);
  return key.export({ type: "spki", format: "pem" });
}
const UPDATE_KEY = await updateKeyPem();

async function has(tool) {
  return run("sh", ["-c", `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
}

/** Lays out the installed file tree under `root`; `init` picks the service files. */
async function stage(root, bundle, init) {
  const put = async (source, target, mode) => {
    await mkdir(path.dirname(path.join(root, target)), { recursive: true });
    await copyFile(source, path.join(root, target));
    await chmod(path.join(root, target), mode);
  };
  await put(bundle, "usr/lib/kvmmanager-agent/kvmm-agent.cjs", 0o755);
  await put(path.join(path.dirname(bundle), "kvmm-launcher.cjs"), "usr/lib/kvmmanager-agent/kvmm-launcher.cjs", 0o755);
  if (UPDATE_KEY) await writeFile(path.join(root, "usr/lib/kvmmanager-agent/update-key.pem"), UPDATE_KEY, { mode: 0o644 });
  await put(path.join(files, "config.json"), "etc/kvmmanager-agent/config.json", 0o644);
  await put(path.join(agentDir, "PROTOCOL.md"), "usr/share/doc/kvmmanager-agent/PROTOCOL.md", 0o644);
  await mkdir(path.join(root, "usr/bin"), { recursive: true });
  // Through the launcher, as the service runs it: a pushed bundle, if any, is the one that runs.
  await symlink("../lib/kvmmanager-agent/kvmm-launcher.cjs", path.join(root, "usr/bin/kvmmanager-agent"));
  if (init === "systemd") {
    await put(path.join(files, "kvmmanager-agent.service"), "usr/lib/systemd/system/kvmmanager-agent.service", 0o644);
    await put(path.join(files, "60-kvmmanager-agent.rules"), "usr/lib/udev/rules.d/60-kvmmanager-agent.rules", 0o644);
  } else {
    await put(path.join(files, "kvmmanager-agent.openrc"), "etc/init.d/kvmmanager-agent", 0o755);
  }
}

const systemdPostinst = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	udevadm control --reload-rules || true
	udevadm trigger --subsystem-match=virtio-ports || true
	if [ -e /dev/virtio-ports/org.kvmmanager.agent.0 ]; then systemctl restart kvmmanager-agent.service || true; fi
fi
`;
const systemdPrerm = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop kvmmanager-agent.service || true; fi
`;
// After the files are gone: systemd forgets the unit, and udev re-reads the port without our rule,
// so the port is no longer a device unit that wants a service that does not exist.
const systemdPostrm = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	systemctl reset-failed kvmmanager-agent.service 2>/dev/null || true
	udevadm control --reload-rules || true
	udevadm trigger --subsystem-match=virtio-ports || true
fi
`;

async function buildDeb(bundle, work) {
  const root = path.join(work, "deb");
  await stage(root, bundle, "systemd");
  await mkdir(path.join(root, "DEBIAN"));
  await writeFile(
    path.join(root, "DEBIAN", "control"),
    `Package: ${NAME}\nVersion: ${VERSION}\nArchitecture: all\nMaintainer: KVM Manager <kvm-manager@localhost>\nDepends: nodejs (>= 18)\nSection: admin\nPriority: optional\nDescription: ${SUMMARY}\n ${DESCRIPTION}\n`,
  );
  await writeFile(path.join(root, "DEBIAN", "conffiles"), "/etc/kvmmanager-agent/config.json\n");
  await writeFile(path.join(root, "DEBIAN", "postinst"), systemdPostinst, { mode: 0o755 });
  await writeFile(path.join(root, "DEBIAN", "prerm"), systemdPrerm, { mode: 0o755 });
  await writeFile(path.join(root, "DEBIAN", "postrm"), systemdPostrm, { mode: 0o755 });
  const file = path.join(out, `${NAME}_${VERSION}_all.deb`);
  await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, file]);
  return file;
}

async function buildRpm(bundle, work) {
  const root = path.join(work, "rpm-root");
  await stage(root, bundle, "systemd");
  const top = path.join(work, "rpmbuild");
  await mkdir(path.join(top, "SPECS"), { recursive: true });
  const spec = `Name: ${NAME}
Version: ${VERSION}
Release: 1
Summary: ${SUMMARY}
License: Proprietary
BuildArch: noarch
# Fedora and RHEL give nodejs epoch 1.
Requires: nodejs >= 1:18
AutoReqProv: no

%description
${DESCRIPTION}

%install
cp -a ${root}/. %{buildroot}/

%post
${systemdPostinst.replace("#!/bin/sh\nset -e\n", "")}
%preun
${systemdPrerm.replace("#!/bin/sh\nset -e\n", "")}
%postun
${systemdPostrm.replace("#!/bin/sh\nset -e\n", "")}
%files
%dir /usr/lib/kvmmanager-agent
/usr/lib/kvmmanager-agent/kvmm-agent.cjs
/usr/lib/kvmmanager-agent/kvmm-launcher.cjs
${UPDATE_KEY ? "/usr/lib/kvmmanager-agent/update-key.pem" : ""}
/usr/bin/kvmmanager-agent
/usr/lib/systemd/system/kvmmanager-agent.service
/usr/lib/udev/rules.d/60-kvmmanager-agent.rules
%dir /etc/kvmmanager-agent
%config(noreplace) /etc/kvmmanager-agent/config.json
%doc /usr/share/doc/kvmmanager-agent/PROTOCOL.md
`;
  const specFile = path.join(top, "SPECS", `${NAME}.spec`);
  await writeFile(specFile, spec);
  await run("rpmbuild", [
    "-bb",
    "--quiet",
    "--define",
    `_topdir ${top}`,
    "--define",
    `_rpmdir ${out}`,
    "--define",
    "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
    specFile,
  ]);
  return path.join(out, `${NAME}-${VERSION}-1.noarch.rpm`);
}

async function buildAlpineTarball(bundle, work) {
  const root = path.join(work, "alpine");
  await stage(root, bundle, "openrc");
  const file = path.join(out, `${NAME}-${VERSION}-alpine.tar.gz`);
  await run("tar", ["-C", root, "--owner=0", "--group=0", "-czf", file, "."]);
  return file;
}

async function buildIso(bundle, work) {
  const root = path.join(work, "iso");
  await mkdir(root);
  await copyFile(bundle, path.join(root, "kvmm-agent.cjs"));
  await copyFile(path.join(path.dirname(bundle), "kvmm-launcher.cjs"), path.join(root, "kvmm-launcher.cjs"));
  if (UPDATE_KEY) await writeFile(path.join(root, "update-key.pem"), UPDATE_KEY);
  for (const name of ["kvmmanager-agent.service", "60-kvmmanager-agent.rules", "kvmmanager-agent.openrc", "config.json", "install.sh", "cloud-init.yaml"]) {
    await copyFile(path.join(files, name), path.join(root, name));
  }
  await writeFile(
    path.join(root, "README.txt"),
    `${SUMMARY} ${VERSION}\nLinux: mount this disc and run  sh install.sh  as root (needs Node.js >= 18; installs it when missing).\n`,
  );
  const file = path.join(out, "kvmmanager-guest-agent.iso");
  const args = ["-quiet", "-V", "KVMM_AGENT", "-J", "-R", "-o", file, root];
  if (await has("xorriso")) await run("xorriso", ["-as", "mkisofs", ...args]);
  else await run("genisoimage", args);
  return file;
}

const formats = [
  { name: "deb", tools: ["dpkg-deb"], build: buildDeb },
  { name: "rpm", tools: ["rpmbuild"], build: buildRpm },
  { name: "alpine tarball", tools: ["tar"], build: buildAlpineTarball },
  { name: "iso", tools: ["xorriso|genisoimage"], build: buildIso },
];

const work = await mkdtemp(path.join(os.tmpdir(), "kvmm-package-"));
try {
  await mkdir(out, { recursive: true });
  console.log(
    UPDATE_KEY ? "update key: packaged (self-update on)" : "update key: none found (--update-key, KVMM_AGENT_UPDATE_KEY): the packages cannot self-update",
  );
  const bundle = path.join(work, "kvmm-agent.cjs");
  await run(process.execPath, [path.join(agentDir, "build.mjs"), "--outfile", bundle]);
  let missing = 0;
  for (const format of formats) {
    const available = await Promise.all(format.tools.map(async (spec) => (await Promise.all(spec.split("|").map(has))).some(Boolean)));
    if (!available.every(Boolean)) {
      missing++;
      console.log(`skipped ${format.name}: needs ${format.tools.join(", ")}`);
      continue;
    }
    console.log(`built ${path.relative(process.cwd(), await format.build(bundle, work))}`);
  }
  if (missing > 0 && values["require-all"]) throw new Error(`${missing} package format(s) could not be built`);
} finally {
  await rm(work, { recursive: true, force: true });
}
