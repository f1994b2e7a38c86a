import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import { listLinuxPackages, parseApk, parseDpkg, parseRpm } from "./packages";

// Debian 12: dpkg-query with the agent's --showformat (name, version, arch, status).
const DPKG = `adduser\t3.134\tall\tinstalled
cron\t3.0pl1-162\tamd64\tinstalled
kvmmanager-agent\t0.1.0\tall\tinstalled
libc6\t2.36-9+deb12u9\tamd64\tinstalled
oldpkg\t1.0-1\tamd64\tconfig-files
`;

// Rocky 9: rpm with the agent's --queryformat (epoch only where set).
const RPM = `bash\t5.1.8-9.el9\tx86_64
openssl\t1:3.0.7-27.el9\tx86_64
gpg-pubkey\t8483c65d-5ccc5b19\t(none)
kvmmanager-agent\t0.1.0-1\tnoarch
`;

// Alpine 3.20: `apk info -v`.
const APK = `musl-1.2.5-r0
busybox-1.36.1-r29
ca-certificates-bundle-20240705-r0
py3-setuptools-70.3.0-r0
`;

describe("package lists", () => {
  it("dpkg: installed packages only (not those with only config files left)", () => {
    const packages = parseDpkg(DPKG);
    assert.deepEqual(
      packages.find((p) => p.name === "kvmmanager-agent"),
      { name: "kvmmanager-agent", version: "0.1.0", arch: "all" },
    );
    assert.deepEqual(
      packages.find((p) => p.name === "libc6"),
      { name: "libc6", version: "2.36-9+deb12u9", arch: "amd64" },
    );
    assert.equal(packages.length, 4);
  });

  it("rpm: epoch:version-release, gpg-pubkey left out", () => {
    assert.deepEqual(parseRpm(RPM), [
      { name: "bash", version: "5.1.8-9.el9", arch: "x86_64" },
      { name: "openssl", version: "1:3.0.7-27.el9", arch: "x86_64" },
      { name: "kvmmanager-agent", version: "0.1.0-1", arch: "noarch" },
    ]);
  });

  it("apk: the name keeps its own dashes, the version is what starts with a digit before -rN", () => {
    assert.deepEqual(parseApk(APK), [
      { name: "musl", version: "1.2.5-r0", arch: null },
      { name: "busybox", version: "1.36.1-r29", arch: null },
      { name: "ca-certificates-bundle", version: "20240705-r0", arch: null },
      { name: "py3-setuptools", version: "70.3.0-r0", arch: null },
    ]);
  });

  it("runs the chosen manager's query, and says which tools it looked for when none is installed", async () => {
    const calls: string[][] = [];
    const listed = await listLinuxPackages(async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: APK, stderr: "" };
    }, "apk");
    assert.deepEqual(calls, [["apk", "info", "-v"]]);
    assert.equal(listed.manager, "apk");
    await assert.rejects(
      listLinuxPackages(async () => ({ code: 0, stdout: "", stderr: "" }), null),
      (error: RpcError) => error.code === ErrorCode.Unsupported && /dpkg-query, rpm nor apk/.test(error.message),
    );
  });
});
