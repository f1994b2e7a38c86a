import { dirname } from "node:path";
import {
  VIR_ERR_NO_INTERFACE,
  VIR_ERR_NO_SUPPORT,
  hasErrorCode,
  isNoDomain,
  isNoNetwork,
  isNoStoragePool,
  isNoStorageVol,
  uuidToString,
  type Connection,
} from "../libvirt";
import { buildXml, child, parseXml } from "../xml/codec";
import { parseDomainXml, type DiskInfo, type DomainDetails, type NicInfo } from "../domains/xml";
import type { ResolvedVm } from "../domains/lookup";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import type { Db } from "../db/client";
import { resolveHost } from "../hosts/connection";
import { getHost } from "../hosts/service";
import { ServiceError } from "../errors";
import { env } from "../config/env";
import type { MigrationOptions, PreflightCheck, PreflightCheckId, PreflightResult } from "./contract";
import { migrationAddress, peerUri, tcpUri } from "./addresses";
import { combine, error, judgeCpu, judgeMemory, judgeName, judgeState, ok, summarize, warning, type Finding, type Names } from "./preflight-checks";
import type { SourceState } from "./params";

/** How long the pre-flight waits for either host: a host that is down must not hold the dialog for libvirt's 15 s. */
export const PREFLIGHT_CALL_MS = 5_000;

/** What `start` needs from a pre-flight that passed. */
export interface MigrationPlan {
  state: SourceState;
  /** tcp://<address> the destination's QEMU listens on, as the source's QEMU reaches it. */
  migrateUri: string;
  /** The destination's libvirtd as the source's reaches it (p2p only). */
  peerUri: string | null;
}

export interface PreflightOutcome {
  result: PreflightResult;
  /** Null when a check is an error. */
  plan: MigrationPlan | null;
}

function within<T>(promise: Promise<T>, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${host} did not answer within ${PREFLIGHT_CALL_MS / 1000} s`)), PREFLIGHT_CALL_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function hostUuid(conn: Connection, host: string): Promise<string> {
  const caps = await within(conn.connectGetCapabilities(), host);
  return /<host>\s*<uuid>([^<]+)<\/uuid>/.exec(caps)?.[1] ?? "";
}

export interface PreflightInput {
  vm: ResolvedVm;
  /** The destination host, or why it cannot be used at all (missing, disabled). */
  dest: ResolvedHost | { id: string; unusable: string };
  options: MigrationOptions;
  /** KVMM_LIBVIRT_PEER_URI: this machine's libvirtd as other hosts reach it. */
  localPeerUri: string | undefined;
}

/** Everything that can be known before moving the VM, in the order PREFLIGHT_CHECKS names. */
export async function runPreflight(input: PreflightInput): Promise<PreflightOutcome> {
  const { vm, options } = input;
  const n: Names = { vm: vm.context, source: vm.host.context, dest: auditTargets.host(input.dest.id) };
  const checks: Partial<Record<PreflightCheckId, PreflightCheck>> = {};
  const { state } = await within(vm.conn.domainGetState({ dom: vm.dom, flags: 0 }), n.source);
  const judged = judgeState(n, state, options);
  checks.state = combine("state", [judged.finding]);
  const live = judged.sourceState !== "shutoff";
  if ("unusable" in input.dest) {
    checks.destination = combine("destination", [error(input.dest.unusable)]);
    return { result: summarize(live, checks, input.dest.unusable), plan: null };
  }
  const dest = input.dest;
  const destination = await checkDestination(n, vm, dest, options, input.localPeerUri);
  checks.destination = combine("destination", [destination.finding]);
  if (!destination.reachable) return { result: summarize(live, checks, `${n.dest} cannot be reached`), plan: null };

  const domainXml = await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: 0 });
  const details = parseDomainXml(domainXml);
  const [name, cpu, memory, storage, network] = await Promise.all([
    guard(n, () => checkName(n, vm, dest.conn, details)),
    guard(n, () => checkCpu(n, dest.conn, domainXml, details)),
    guard(n, async () => [judgeMemory(n, live, { needKiB: details.currentMemoryKiB, freeBytes: await within(dest.conn.nodeGetFreeMemory(), n.dest) })]),
    guard(n, () => checkStorage(n, dest.conn, details, options)),
    guard(n, () => checkNetworks(n, dest.conn, details.nics)),
  ]);
  Object.assign(checks, {
    name: combine("name", name),
    cpu: combine("cpu", cpu),
    memory: combine("memory", memory),
    storage: combine("storage", storage),
    network: combine("network", network),
  });
  const result = summarize(live, checks, "");
  const plan =
    result.ok && judged.sourceState && destination.migrateUri
      ? { state: judged.sourceState, migrateUri: destination.migrateUri, peerUri: destination.peerUri }
      : null;
  return { result, plan };
}

/** A check that could not finish is an error saying what failed: the migration would meet the same. */
async function guard(n: Names, check: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await check();
  } catch (err) {
    return [error(`Checking against ${n.dest} failed: ${(err as Error).message}.`)];
  }
}

interface DestinationFacts {
  finding: Finding;
  reachable: boolean;
  migrateUri: string | null;
  peerUri: string | null;
}

async function checkDestination(
  n: Names,
  vm: ResolvedVm,
  dest: ResolvedHost,
  options: MigrationOptions,
  localPeerUri: string | undefined,
): Promise<DestinationFacts> {
  const none = { migrateUri: null, peerUri: null };
  if (dest.id === vm.hostId) return { ...none, reachable: false, finding: error(`${n.vm} is already on ${n.dest}.`) };
  let uuids: [string, string];
  try {
    uuids = await Promise.all([hostUuid(vm.conn, n.source), hostUuid(dest.conn, n.dest)]);
  } catch (err) {
    return { ...none, reachable: false, finding: error(`${n.dest} cannot be reached: ${(err as Error).message}.`) };
  }
  if (uuids[0] === uuids[1]) {
    return {
      ...none,
      reachable: true,
      finding: error(`${n.source} and ${n.dest} are the same machine (host UUID ${uuids[0]}): libvirt migrates only between hosts.`),
    };
  }
  let address;
  try {
    address = await migrationAddress(vm.host, dest);
  } catch (err) {
    return { ...none, reachable: true, finding: error(`${(err as Error).message}.`) };
  }
  const migrateUri = tcpUri(address.address);
  const where = `${n.dest} answers; the memory goes to ${migrateUri} (${address.how}).`;
  if (options.mode !== "p2p")
    return { reachable: true, migrateUri, peerUri: null, finding: ok(`${where} The manager drives both hosts: they need no access to each other's libvirtd.`) };
  const peer = peerUri(vm.host, dest, localPeerUri);
  if (!peer.uri) return { reachable: true, migrateUri, peerUri: null, finding: error(`Peer-to-peer: ${peer.note}.`) };
  return { reachable: true, migrateUri, peerUri: peer.uri, finding: warning(`${where} Peer-to-peer: ${peer.note}.`) };
}

async function checkName(n: Names, vm: ResolvedVm, dest: Connection, details: DomainDetails): Promise<Finding[]> {
  const missing = (err: unknown) => (isNoDomain(err) ? null : Promise.reject(err));
  const [byName, byUuid] = await Promise.all([
    within(dest.domainLookupByName({ name: vm.name }), n.dest).catch(missing),
    within(dest.domainLookupByUuid({ uuid: vm.dom.uuid }), n.dest).catch(missing),
  ]);
  return [
    judgeName(n, vm.name, {
      uuid: details.uuid,
      byName: byName && { uuid: uuidToString(byName.uuid), running: byName.id !== -1 },
      byUuid: byUuid && { name: byUuid.name, running: byUuid.id !== -1 },
    }),
  ];
}

/** The `<cpu>` element alone, as connectCompareHypervisorCpu takes it; null when the VM names no model. */
function cpuXml(domainXml: string): string | null {
  const cpu = child(child(parseXml(domainXml, "domain XML"), "domain"), "cpu");
  return cpu && "model" in cpu ? buildXml({ cpu }) : null;
}

async function checkCpu(n: Names, dest: Connection, domainXml: string, details: DomainDetails): Promise<Finding[]> {
  const facts = { domainType: details.domainType, mode: details.cpu.mode, model: details.cpu.model, compared: null as number | Error | null };
  const xml = details.cpu.model ? cpuXml(domainXml) : null;
  if (xml && facts.mode !== "host-passthrough") {
    facts.compared = await within(
      dest.connectCompareHypervisorCpu({ emulator: null, arch: null, machine: details.machine, virttype: details.domainType, xmlCPU: xml, flags: 0 }),
      n.dest,
    ).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  }
  return [judgeCpu(n, facts)];
}

async function checkStorage(n: Names, dest: Connection, details: DomainDetails, options: MigrationOptions): Promise<Finding[]> {
  const disks = details.disks.filter((d) => d.source !== null);
  const findings = await Promise.all(disks.map((disk) => checkDisk(n, dest, disk, options)));
  for (const file of [details.directKernel?.kernel, details.directKernel?.initrd]) {
    if (file) findings.push(await checkBootFile(n, dest, file));
  }
  if (findings.length === 0) return [ok(`${n.vm} has no disks.`)];
  return findings;
}

async function checkDisk(n: Names, dest: Connection, disk: DiskInfo, options: MigrationOptions): Promise<Finding> {
  const path = disk.source!;
  if (disk.type === "volume") return warning(`Disk ${disk.target} is volume ${path}: not checked; ${n.dest} needs a pool and volume of the same names.`);
  if (disk.type === "network") return ok(`Disk ${disk.target} is on network storage (${path}), reached by ${n.dest} itself.`);
  const copied = options.copyStorage !== "none" && !disk.readonly;
  if (copied) {
    const pool = await within(dest.storagePoolLookupByTargetPath({ path: dirname(path) }), n.dest).catch((err: unknown) =>
      isNoStoragePool(err) ? null : Promise.reject(err),
    );
    if (!pool)
      return error(`Disk ${disk.target} is copied to ${dirname(path)} on ${n.dest}, which is not a storage pool there: define a pool on that directory first.`);
    if (!(await within(dest.storagePoolIsActive({ pool }), n.dest)))
      return error(`Pool "${pool.name}" on ${n.dest} (${dirname(path)}) is not running: start it first.`);
    return ok(`Disk ${disk.target} is copied into pool "${pool.name}" on ${n.dest}.`);
  }
  const vol = await within(dest.storageVolLookupByPath({ path }), n.dest).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)));
  if (vol) return ok(`Disk ${disk.target} (${path}) is in pool "${vol.pool}" on ${n.dest} too.`);
  const remedy = disk.readonly ? "put the image there first" : "choose to copy storage, or make the file reachable there in a pool";
  return error(`Disk ${disk.target}: ${n.dest} has no volume ${path} in its storage pools; ${remedy}.`);
}

/** A kernel or initrd the VM boots directly: outside any pool it cannot be looked up, so only a warning. */
async function checkBootFile(n: Names, dest: Connection, path: string): Promise<Finding> {
  const vol = await within(dest.storageVolLookupByPath({ path }), n.dest).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)));
  if (vol) return ok(`Boot file ${path} is in pool "${vol.pool}" on ${n.dest} too.`);
  return warning(`${n.vm} boots ${path} directly: ${n.dest} must have the same file (it is in none of its pools, so this was not checked).`);
}

async function checkNetworks(n: Names, dest: Connection, nics: NicInfo[]): Promise<Finding[]> {
  if (nics.length === 0) return [ok(`${n.vm} has no network interfaces.`)];
  return Promise.all(nics.map((nic) => checkNic(n, dest, nic)));
}

async function checkNic(n: Names, dest: Connection, nic: NicInfo): Promise<Finding> {
  const which = `Interface ${nic.mac ?? nic.type}`;
  if (nic.type === "user") return ok(`${which} is user-mode networking, which needs nothing on ${n.dest}.`);
  if (nic.type === "network" && nic.source) {
    const net = await within(dest.networkLookupByName({ name: nic.source }), n.dest).catch((err: unknown) => (isNoNetwork(err) ? null : Promise.reject(err)));
    if (!net) return error(`${which} is on network "${nic.source}", which ${n.dest} does not have.`);
    if (!(await within(dest.networkIsActive({ net }), n.dest))) return error(`${which} is on network "${nic.source}", which is not running on ${n.dest}.`);
    return ok(`${which}: network "${nic.source}" runs on ${n.dest}.`);
  }
  if ((nic.type === "bridge" || nic.type === "direct") && nic.source) {
    const what = nic.type === "bridge" ? "bridge" : "device";
    const iface = await within(dest.interfaceLookupByName({ name: nic.source }), n.dest).catch((err: unknown) =>
      hasErrorCode(err, VIR_ERR_NO_INTERFACE) || hasErrorCode(err, VIR_ERR_NO_SUPPORT) ? err : Promise.reject(err),
    );
    if (hasErrorCode(iface, VIR_ERR_NO_SUPPORT))
      return warning(`${which} uses ${what} ${nic.source}: ${n.dest} cannot list its interfaces, so this was not checked.`);
    if (iface instanceof Error) return error(`${which} uses ${what} ${nic.source}, which ${n.dest} does not have.`);
    if (!(await within(dest.interfaceIsActive({ iface }), n.dest))) return error(`${which} uses ${what} ${nic.source}, which is down on ${n.dest}.`);
    return ok(`${which}: ${what} ${nic.source} is up on ${n.dest}.`);
  }
  return warning(`${which} is of type ${nic.type}: not checked on ${n.dest}.`);
}

/** The destination as the pre-flight sees it: a host to talk to, or why it cannot be one. */
function destinationOf(db: Db, hostId: string): ResolvedHost | { id: string; unusable: string } {
  let row;
  try {
    row = getHost(db, hostId);
  } catch (err) {
    if (err instanceof ServiceError && err.kind === "not_found") return { id: hostId, unusable: err.message };
    throw err;
  }
  if (!row.enabled) return { id: hostId, unusable: `host "${hostId}" is disabled: the manager does not connect to it` };
  return resolveHost(db, hostId);
}

/** The pre-flight of one VM's migration (also what `start` and the evacuation run first). */
export function preflightOf(db: Db, vm: ResolvedVm, options: MigrationOptions): Promise<PreflightOutcome> {
  return runPreflight({ vm, dest: destinationOf(db, options.destHostId), options, localPeerUri: env().KVMM_LIBVIRT_PEER_URI });
}
