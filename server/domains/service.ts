import {
  decodeTypedParams,
  flagsOf,
  isNoStorageVol,
  uuidToString,
  VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
  VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_STATS_VCPU,
  VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
  VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
  VIR_DOMAIN_UNDEFINE_NVRAM,
  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_METADATA_DESCRIPTION,
  VIR_DOMAIN_METADATA_TITLE,
  type Connection,
  type protocol,
  type TypedParams,
} from "../libvirt";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { vmInScope } from "../auth/permissions";
import { resolveHost } from "../hosts/connection";
import { withLibvirtContext, ServiceError } from "../errors";
import { listHosts } from "../hosts/service";
import { acrossHosts } from "../hosts/fan-out";
import { processSingleton } from "../process-shared";
import type { ResolvedVm } from "./lookup";
import { stateAfter, vmStateName, type PowerAction, type VmState } from "./power";
import { assertTransition, runPowerAction } from "./power-actions";
import { syncGuestTimeAfter } from "../guest/admin";
import { memoryUsedKiB } from "../metrics/rates";
import { NO_USAGE, vmUsageOf, type LiveVmUsage, type VmUsage } from "../metrics/live";
import { latestVmUsage } from "../metrics/service";
import { tagsOf, writeTags } from "./tags";
import { AGENT_CHANNEL, parseDomainXml, QGA_CHANNEL, type DomainDetails } from "./xml";
import { buildChannelDeviceXml } from "./import";
import { seedVolumeName } from "./cloud-init";
import { snapshotOwnFiles } from "../snapshots/xml";
import { runningGuestHub, type GuestStatus } from "../guest";
import { addressesOfRunning, leasedAddresses } from "./addresses";
import { diskUsers, missingDiskFiles, refreshActivePools, vmDiskFiles, type MissingDiskFile } from "../storage/users";

export interface VmSummary {
  hostId: string;
  uuid: string;
  name: string;
  state: VmState;
  vcpus: number;
  memoryKiB: number;
  autostart: boolean;
  /** A transient VM (started from XML, or migrated in) disappears when it stops. */
  persistent: boolean;
  tags: string[];
  /** Addresses leased by the host's libvirt networks to the VM's MACs (see addresses.ts); empty when stopped. */
  ips: string[];
  /** Whether our agent / qemu-guest-agent is connected, as the guest hub knows it (both false when it runs none). */
  guest: { agent: boolean; qga: boolean };
  usage: VmUsage;
}

/** What the list needs of each VM; rates (CPU, disk, network) come from the metrics collector's latest tick. */
export const LIST_STATS = flagsOf(VIR_DOMAIN_STATS_STATE, VIR_DOMAIN_STATS_BALLOON, VIR_DOMAIN_STATS_VCPU);

function observe(record: protocol.DomainStatsRecord) {
  const params = decodeTypedParams(record.params);
  const state = vmStateName(Number(params["state.state"] ?? 0));
  const running = state === "running" || state === "blocked" || state === "paused";
  return { params, state, running };
}

/**
 * A VM's usage: the collector's latest tick for the rates and memory (which counts the agent's
 * in-guest figure); memory from this very call (no rate needed) when the tick has none, so a VM that
 * started since the last tick already shows it.
 */
function usageOf(live: Map<string, LiveVmUsage>, uuid: string, running: boolean, params: TypedParams): VmUsage {
  if (!running) return NO_USAGE;
  const fromTick = live.get(uuid);
  const usage = fromTick ? vmUsageOf(fromTick) : NO_USAGE;
  return { ...usage, memoryUsedKiB: usage.memoryUsedKiB ?? memoryUsedKiB(params) };
}

/**
 * Four libvirt calls for the whole host, in parallel (stats of every VM, which start at boot,
 * which are transient, the active networks), then one per active network for its DHCP leases,
 * plus tags and MACs from cache; agent states from the guest hub's memory. Knowing which VMs are
 * transient lets a browser apply a "stopped" event to its list without reading it again (only a
 * transient VM vanishes).
 */
async function readHostVms(hostId: string, conn: Connection): Promise<VmSummary[]> {
  const [auto, transientList, stats, leases] = await Promise.all([
    conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_AUTOSTART }),
    conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_TRANSIENT }),
    conn.connectGetAllDomainStats({ doms: [], stats: LIST_STATS, flags: 0 }),
    leasedAddresses(conn),
  ]);
  const autostart = new Set(auto.domains.map((d) => uuidToString(d.uuid)));
  const transient = new Set(transientList.domains.map((d) => uuidToString(d.uuid)));
  const uuids = stats.map((r) => uuidToString(r.dom.uuid));
  const tags = await Promise.all(stats.map((r, i) => tagsOf(hostId, conn, r.dom, uuids[i])));
  const observed = stats.map(observe);
  const live = latestVmUsage(hostId);
  const ips = await addressesOfRunning(
    hostId,
    conn,
    stats.filter((_, i) => observed[i]!.running).map((r) => r.dom),
    leases,
  );
  const hub = runningGuestHub();
  return stats
    .map((r, i): VmSummary => {
      const { params, state, running } = observed[i]!;
      return {
        hostId,
        uuid: uuids[i]!,
        name: r.dom.name,
        state,
        vcpus: Number(params["vcpu.current"] ?? params["vcpu.maximum"] ?? 0),
        memoryKiB: Number(params["balloon.maximum"] ?? params["balloon.current"] ?? 0),
        autostart: autostart.has(uuids[i]!),
        persistent: !transient.has(uuids[i]!),
        tags: tags[i]!,
        ips: ips.get(uuids[i]!) ?? [],
        guest: guestOf(hub?.status(hostId, uuids[i]!) ?? null),
        usage: usageOf(live, uuids[i]!, running, params),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function visibleTo(user: SessionUser, vms: readonly VmSummary[]): VmSummary[] {
  return vms.filter((vm) => vmInScope(user.role, user.grants, vm));
}

/** One host's VMs the user may see, by name. */
export async function listHostVms(hostId: string, conn: Connection, user: SessionUser): Promise<VmSummary[]> {
  return visibleTo(user, await readHostVms(hostId, conn));
}

function guestOf(status: GuestStatus | null): VmSummary["guest"] {
  return { agent: status?.agent.state === "connected", qga: status?.qga.connected ?? false };
}

export interface HostVmList {
  hostId: string;
  vms: VmSummary[];
  /** Why the host's VMs could not be listed now (unreachable, timed out), in plain words; null when they were. */
  error: string | null;
  /** With `error`: `vms` are the host's VMs as last listed (the page greys them out with the reason). */
  stale: boolean;
}

/**
 * Each host's VMs as last listed, every one of them: what a host that stops answering shows (greyed,
 * with the reason). Narrowed to the asking user's grants when answered, like a fresh list, so one
 * user's list never shows another's VMs.
 */
const lastListed = processSingleton("lastVmLists", () => new Map<string, VmSummary[]>());

/**
 * Every host's VMs, each host asked at once and given KVMM_HOST_TIMEOUT_S (server/hosts/fan-out.ts):
 * a host that fails or does not answer in time shows its reason beside the others, with its VMs as
 * last listed (`stale`), instead of failing or holding up the page.
 */
export async function listVms(db: Db, user: SessionUser, hostId?: string): Promise<HostVmList[]> {
  const hosts = listHosts(db).filter((h) => !hostId || h.id === hostId);
  if (hostId && hosts.length === 0) throw new ServiceError(`host "${hostId}" does not exist`, "not_found");
  if (!hostId) for (const id of lastListed.keys()) if (!hosts.some((h) => h.id === id)) lastListed.delete(id);
  const answers = await acrossHosts(hosts, (host) => {
    const { conn, context } = resolveHost(db, host.id);
    return withLibvirtContext(context, () => readHostVms(host.id, conn));
  });
  return answers.map((answer): HostVmList => {
    if (answer.ok) {
      lastListed.set(answer.hostId, answer.value);
      return { hostId: answer.hostId, vms: visibleTo(user, answer.value), error: null, stale: false };
    }
    const last = lastListed.get(answer.hostId);
    return { hostId: answer.hostId, vms: last ? visibleTo(user, last) : [], error: answer.error, stale: last !== undefined };
  });
}

async function stateOf(vm: ResolvedVm): Promise<VmState> {
  const { state } = await vm.conn.domainGetState({ dom: vm.dom, flags: 0 });
  return vmStateName(state);
}

export interface VmDetails extends DomainDetails {
  hostId: string;
  state: VmState;
  /** The collector's latest figures of the running VM (kept current in the browser by `metrics.tick` events); null without them. */
  usage: LiveVmUsage | null;
  autostart: boolean;
  persistent: boolean;
  /** Files of its disks (own or backing) that are gone from the host (see `missingDiskFiles`). */
  missingFiles: MissingDiskFile[];
}

export async function getVm(vm: ResolvedVm): Promise<VmDetails> {
  return withLibvirtContext(vm.context, async () => {
    const [xml, state, autostart, persistent, files] = await Promise.all([
      vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: 0 }),
      stateOf(vm),
      vm.conn.domainGetAutostart({ dom: vm.dom }),
      vm.conn.domainIsPersistent({ dom: vm.dom }),
      vmDiskFiles(vm.conn, vm.dom),
    ]);
    const missingFiles = files ? await missingDiskFiles(vm.conn, files.disks) : [];
    const usage = state === "shutoff" || state === "crashed" ? null : (latestVmUsage(vm.hostId).get(uuidToString(vm.dom.uuid)) ?? null);
    return { ...parseDomainXml(xml), hostId: vm.hostId, state, usage, autostart: autostart === 1, persistent: persistent === 1, missingFiles };
  });
}

/**
 * Three libvirt calls end to end (the VM's look-up, its state, the action): the state it answers
 * with follows from the action (see `stateAfter`), and what the guest does later arrives as events.
 */
export async function powerAction(vm: ResolvedVm, action: PowerAction): Promise<{ state: VmState }> {
  return withLibvirtContext(vm.context, async () => {
    const state = await stateOf(vm);
    assertTransition(vm.context, action, state);
    await runPowerAction(vm, action, state);
    // The guest's clock stood still while it was paused (issue 15 item 4); best effort, not awaited.
    if (action === "resume") void syncGuestTimeAfter(vm, "resume");
    return { state: stateAfter(action, state) };
  });
}

export interface DeleteOptions {
  /** Must equal the VM's name: deleting is not undoable, so the caller proves it means this VM. */
  confirmName: string;
  deleteStorage: boolean;
}

/**
 * The files the VM's storage consists of: each writable disk's own file, plus the cloud-init seed
 * made for it, plus what its snapshots name as the VM's (external overlays, whoever made them, and
 * the disks they sit on); of those only files its disks read, and none that another VM of the host
 * reads, as a disk or as a backing file (a linked clone's base). A backing file no snapshot of this
 * VM made (a shared base image) is not its own and is kept, as are other read-only media (ISOs).
 */
async function ownedFiles(vm: ResolvedVm): Promise<string[]> {
  const { conn, dom } = vm;
  // Overlays made outside libvirt's storage API (virsh snapshot-create) become volumes once their pool is re-read.
  await refreshActivePools(conn);
  const memo = new Map<string, string | null>();
  const mine = await vmDiskFiles(conn, dom, memo);
  if (!mine) return [];
  const { snapshots } = await conn.domainListAllSnapshots({ dom, needResults: 1, flags: 0 });
  const snapshotXmls = await Promise.all(snapshots.map((snap) => conn.domainSnapshotGetXmlDesc({ snap, flags: 0 })));
  const named = new Set(snapshotXmls.flatMap(snapshotOwnFiles));
  const ownSeed = `/${seedVolumeName(vm.name)}`;
  const owned = mine.disks
    .filter((d) => (d.device === "disk" && !d.readonly) || d.files[0]?.endsWith(ownSeed))
    .flatMap((d) => d.files.filter((path, i) => i === 0 || named.has(path)));
  const users = await diskUsers(conn, memo);
  const uuid = uuidToString(dom.uuid);
  return [...new Set(owned)].filter((path) => path.startsWith("/") && !(users.get(path) ?? []).some((u) => u.uuid !== uuid));
}

export interface DeleteVmResult {
  /** Keys (paths) of the volumes deleted with the VM. */
  deletedVolumes: string[];
  /** Files of its storage that are in no pool of the host, so libvirt cannot delete them: they are left where they are. */
  keptFiles: string[];
}

export async function deleteVm(vm: ResolvedVm, options: DeleteOptions): Promise<DeleteVmResult> {
  if (options.confirmName !== vm.name) {
    throw new ServiceError(`${vm.context}: type the VM's name to confirm deleting it`, "invalid");
  }
  return withLibvirtContext(vm.context, async () => {
    const files = options.deleteStorage ? await ownedFiles(vm) : [];
    if ((await stateOf(vm)) !== "shutoff") await vm.conn.domainDestroyFlags({ dom: vm.dom, flags: 0 });
    // Snapshot metadata goes with the definition; the snapshots' data is in the files deleted below.
    const flags = flagsOf(
      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
      VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
      VIR_DOMAIN_UNDEFINE_NVRAM,
      VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
    );
    await vm.conn.domainUndefineFlags({ dom: vm.dom, flags });
    const deletedVolumes: string[] = [];
    const keptFiles: string[] = [];
    for (const path of files) {
      const vol = await vm.conn.storageVolLookupByPath({ path }).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)));
      if (!vol) {
        keptFiles.push(path);
        continue;
      }
      await vm.conn.storageVolDelete({ vol, flags: 0 });
      deletedVolumes.push(vol.key);
    }
    return { deletedVolumes, keptFiles };
  });
}

export async function setAutostart(vm: ResolvedVm, enabled: boolean): Promise<void> {
  await withLibvirtContext(vm.context, () => vm.conn.domainSetAutostart({ dom: vm.dom, autostart: enabled ? 1 : 0 }));
}

export async function renameVm(vm: ResolvedVm, newName: string): Promise<void> {
  await withLibvirtContext(vm.context, async () => {
    if ((await stateOf(vm)) !== "shutoff") throw new ServiceError(`${vm.context}: shut it off before renaming it`, "conflict");
    await vm.conn.domainRename({ dom: vm.dom, newName, flags: 0 });
  });
}

/**
 * The VM's title (one line, shown under its name) and description (free text for whoever looks
 * after it). Both are libvirt's own metadata, so `virsh desc` and other tools see them too; an
 * empty text removes it. Saved in the definition and, when the VM runs, in the live one.
 */
export async function setDescription(vm: ResolvedVm, text: { title: string; description: string }): Promise<void> {
  await withLibvirtContext(vm.context, async () => {
    const running = (await stateOf(vm)) !== "shutoff";
    const flags = flagsOf(VIR_DOMAIN_AFFECT_CONFIG, running ? VIR_DOMAIN_AFFECT_LIVE : 0);
    const set = (type: number, value: string) =>
      vm.conn.domainSetMetadata({ dom: vm.dom, type, metadata: value === "" ? null : value, key: null, uri: null, flags });
    await set(VIR_DOMAIN_METADATA_TITLE, text.title);
    await set(VIR_DOMAIN_METADATA_DESCRIPTION, text.description);
  });
}

export async function setTags(vm: ResolvedVm, tags: string[]): Promise<void> {
  await withLibvirtContext(vm.context, async () => {
    const state = await stateOf(vm);
    await writeTags(vm.hostId, vm.conn, vm.dom, tags, state !== "shutoff");
  });
}

export async function exportXml(vm: ResolvedVm): Promise<string> {
  return withLibvirtContext(vm.context, () => vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: VIR_DOMAIN_XML_INACTIVE }));
}

/** Adds whichever of our two guest-agent channels the VM lacks, persistently and, when running, live. */
export async function addAgentChannels(vm: ResolvedVm): Promise<{ added: string[] }> {
  return withLibvirtContext(vm.context, async () => {
    const details = parseDomainXml(await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: VIR_DOMAIN_XML_INACTIVE }));
    const have = new Set(details.channels.map((c) => c.name));
    const missing = [AGENT_CHANNEL, QGA_CHANNEL].filter((name) => !have.has(name));
    const running = (await stateOf(vm)) !== "shutoff";
    const flags = flagsOf(VIR_DOMAIN_AFFECT_CONFIG, running ? VIR_DOMAIN_AFFECT_LIVE : 0);
    for (const name of missing) await vm.conn.domainAttachDeviceFlags({ dom: vm.dom, xml: buildChannelDeviceXml(name), flags });
    return { added: missing };
  });
}
