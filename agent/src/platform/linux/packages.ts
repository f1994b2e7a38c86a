import type { PackageEntry } from "../../../protocol/index";
import { clip } from "../../../protocol/bounds";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import type { PackageManagerName } from "../platform";
import { which } from "./power";
import type { RunTool } from "./services";

/**
 * Installed packages from the first package database found. The query formats are fixed here
 * (tab-separated fields, one package a line); the pure parsers below are tested on captured samples.
 */

const LIST_TIMEOUT_MS = 60_000;

export const PACKAGE_QUERIES: Record<PackageManagerName, string[]> = {
  // db:Status-Status tells installed packages from removed ones whose config files remain ("config-files").
  dpkg: ["dpkg-query", "--show", "--showformat=${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Status}\\n"],
  rpm: ["rpm", "--query", "--all", "--queryformat", "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"],
  apk: ["apk", "info", "-v"],
};

const TOOLS: Array<[PackageManagerName, string]> = [
  ["dpkg", "dpkg-query"],
  ["rpm", "rpm"],
  ["apk", "apk"],
];

export function parseDpkg(text: string): PackageEntry[] {
  const packages: PackageEntry[] = [];
  for (const line of text.split("\n")) {
    const [name, version, arch, status] = line.split("\t");
    if (!name || !version || status !== "installed") continue;
    packages.push({ name, version, arch: arch || null });
  }
  return packages;
}

export function parseRpm(text: string): PackageEntry[] {
  const packages: PackageEntry[] = [];
  for (const line of text.split("\n")) {
    const [name, version, arch] = line.split("\t");
    // gpg-pubkey entries are keys rpm imported, not packages; "(none)" is rpm's word for a missing tag.
    if (!name || !version || name === "gpg-pubkey") continue;
    packages.push({ name, version, arch: arch && arch !== "(none)" ? arch : null });
  }
  return packages;
}

/** `apk info -v`: name-version-rN per line; the name may itself contain dashes, the version never starts after a letter. */
export function parseApk(text: string): PackageEntry[] {
  const packages: PackageEntry[] = [];
  for (const line of text.split("\n")) {
    const match = /^(.+?)-(\d[^-]*-r\d+)$/.exec(line.trim());
    if (match) packages.push({ name: match[1]!, version: match[2]!, arch: null });
  }
  return packages;
}

const PARSERS: Record<PackageManagerName, (text: string) => PackageEntry[]> = { dpkg: parseDpkg, rpm: parseRpm, apk: parseApk };

export async function listLinuxPackages(run: RunTool, manager: PackageManagerName | null): Promise<{ manager: PackageManagerName; packages: PackageEntry[] }> {
  if (!manager) throw new RpcError(ErrorCode.Unsupported, "list_packages: found neither dpkg-query, rpm nor apk");
  const argv = PACKAGE_QUERIES[manager];
  const result = await run(argv, LIST_TIMEOUT_MS);
  if (result.code !== 0) {
    throw new RpcError(ErrorCode.IoError, `${argv[0]} exited with ${result.code}: ${clip(result.stderr.trim(), 1024)}`);
  }
  return { manager, packages: PARSERS[manager](result.stdout) };
}

/** The first package database whose tool is installed: a Debian guest with rpm installed is still a dpkg system. */
export async function findPackageManager(searchPath: string): Promise<PackageManagerName | null> {
  for (const [manager, tool] of TOOLS) if (await which(tool, searchPath)) return manager;
  return null;
}
