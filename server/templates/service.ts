import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { Db } from "../db/client";
import { resolveHost, type ResolvedHost } from "../hosts/connection";
import type { ResolvedVm } from "../domains/lookup";
import type { SessionUser } from "../users/service";
import {
  isLibvirtError,
  isNoDomain,
  isNoStoragePool,
  isNoStorageVol,
  uuidToString,
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_DOMAIN_XML_INACTIVE,
  type Connection,
  type protocol,
} from "../libvirt";
import { auditTargets } from "../audit/targets";
import { ServiceError, withLibvirtContext } from "../errors";
import { parseDomainXml, type DiskInfo } from "../domains/xml";
import { vmStateName } from "../domains/power";
import { defaultHostname, resolveSeedSpec, writeSeedVolume, type SeedSpec } from "../domains/cloud-init";
import { buildVolumeXml, parsePoolXml, parseVolumeXml } from "../storage/xml";
import { diskUsers, refreshActivePools } from "../storage/users";
import { taskRunner, type TaskHandle } from "../tasks/runner";
import type { createTemplateInput, deployTemplateInput, TemplateDetail, TemplateDisk, TemplateInfo, TemplateUser } from "./contract";
import { deployDomainXml, templateDomainXml, type DiskPlacement } from "./xml";
import {
  deleteTemplateRow,
  insertTemplate,
  listTemplateRows,
  templateById,
  templateInfo,
  templateNameTaken,
  updateTemplate,
  visibleTemplateRow,
  type StoredTemplate,
} from "./store";

/**
 * Templates (README.md): make one of a shut-off VM (its writable disks copied into a pool, its
 * definition kept), deploy VMs from it as linked clones or full copies, list its users, delete it.
 */

type Actor = Pick<SessionUser, "id" | "username" | "role" | "grants">;
type CreateInput = z.infer<typeof createTemplateInput>;
type DeployInput = z.infer<typeof deployTemplateInput>;

export function templateContext(t: Pick<TemplateInfo, "hostId" | "name">): string {
  return auditTargets.template(t.hostId, t.name);
}

export function listTemplates(db: Db, user: Actor, hostId?: string): TemplateInfo[] {
  return listTemplateRows(db, user, hostId).map(templateInfo);
}

export function visibleTemplate(db: Db, user: Actor, id: string): TemplateInfo {
  return templateInfo(visibleTemplateRow(db, user, id));
}

function storedTemplate(db: Db, template: Pick<TemplateInfo, "id" | "hostId" | "name">): StoredTemplate {
  const t = templateById(db, template.id);
  if (!t) throw new ServiceError(`${templateContext(template)}: not found`, "not_found");
  return t;
}

export async function templateDetail(db: Db, template: TemplateInfo, host?: ResolvedHost): Promise<TemplateDetail> {
  const { conn, context } = host ?? resolveHost(db, template.hostId);
  const users = await withLibvirtContext(context, () =>
    templateUsers(
      conn,
      template.disks.map((d) => d.path),
    ),
  );
  return { ...template, users };
}

// ── Users ─────────────────────────────────────────────────────────────────────────────────────────

const MAX_CHAIN = 64;

/**
 * What reads one of `paths` through its backing chain: VMs (server/storage/users.ts follows each
 * disk's chain through the domain XML and the pools' volumes), then volumes of active pools whose
 * chain reaches a template disk and that no VM uses (an overlay made by hand, a clone whose VM was
 * undefined with its disks kept).
 */
export async function templateUsers(conn: Connection, paths: readonly string[]): Promise<TemplateUser[]> {
  const own = new Set(paths);
  if (own.size === 0) return [];
  await refreshActivePools(conn);
  const users = await diskUsers(conn);
  const vms = new Map<string, TemplateUser>();
  for (const path of own) {
    for (const use of users.get(path) ?? []) vms.set(use.uuid, { kind: "vm", name: use.name, uuid: use.uuid });
  }
  const backing = await volumeBackings(conn);
  const volumes: TemplateUser[] = [];
  for (const path of backing.keys()) {
    if (own.has(path) || users.has(path)) continue;
    let next = backing.get(path) ?? null;
    for (let depth = 0; next && depth < MAX_CHAIN && !own.has(next); depth++) next = backing.get(next) ?? null;
    if (next && own.has(next)) volumes.push({ kind: "volume", name: path, uuid: null });
  }
  const byName = (a: TemplateUser, b: TemplateUser) => a.name.localeCompare(b.name);
  return [...[...vms.values()].sort(byName), ...volumes.sort(byName)];
}

/** Every volume of the host's active pools, by path, with its backing file (null: none). */
async function volumeBackings(conn: Connection): Promise<Map<string, string | null>> {
  const { pools } = await conn.connectListAllStoragePools({ needResults: 1, flags: VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE });
  const out = new Map<string, string | null>();
  for (const pool of pools) {
    const vols = await conn
      .storagePoolListAllVolumes({ pool, needResults: 1, flags: 0 })
      .then((r) => r.vols)
      .catch((err: unknown) => (isLibvirtError(err) ? [] : Promise.reject(err)));
    for (const vol of vols) {
      const xml = await conn.storageVolGetXmlDesc({ vol, flags: 0 }).catch((err: unknown) => (isLibvirtError(err) ? null : Promise.reject(err)));
      if (!xml) continue;
      const info = parseVolumeXml(xml);
      if (info.path) out.set(info.path, info.backingPath);
    }
  }
  return out;
}

// ── Create ────────────────────────────────────────────────────────────────────────────────────────

async function activePool(conn: Connection, hostId: string, name: string): Promise<{ pool: protocol.NonnullStoragePool; type: string }> {
  const context = auditTargets.pool(hostId, name);
  return withLibvirtContext(context, async () => {
    const pool = await conn.storagePoolLookupByName({ name });
    if ((await conn.storagePoolIsActive({ pool })) !== 1) throw new ServiceError(`${context}: is not active; start it first`, "conflict", { field: "pool" });
    return { pool, type: parsePoolXml(await conn.storagePoolGetXmlDesc({ pool, flags: 0 })).type };
  });
}

/** The volume behind a disk of the source: a file or block path, or a pool's volume (`<disk type='volume'>`). */
async function diskVolume(conn: Connection, disk: DiskInfo): Promise<protocol.NonnullStorageVol> {
  if (disk.type === "volume" && disk.source) {
    const slash = disk.source.indexOf("/");
    const pool = await conn.storagePoolLookupByName({ name: disk.source.slice(0, slash) });
    return conn.storageVolLookupByName({ pool, name: disk.source.slice(slash + 1) });
  }
  return conn.storageVolLookupByPath({ path: disk.source! });
}

/** A copy's volume name: `<name>-<target>.<format>`; a logical pool's volumes have no format of their own. */
function volumeName(owner: string, target: string, format: string | null): string {
  return format ? `${owner}-${target}.${format}` : `${owner}-${target}`;
}

function formatFor(poolType: string, format: string | null): "qcow2" | "raw" | undefined {
  if (poolType === "logical") return undefined;
  return format === "qcow2" ? "qcow2" : "raw";
}

async function describeCopy(conn: Connection, vol: protocol.NonnullStorageVol, target: string): Promise<TemplateDisk & { type: "file" | "block" }> {
  const info = parseVolumeXml(await conn.storageVolGetXmlDesc({ vol, flags: 0 }));
  const path = info.path ?? (await conn.storageVolGetPath({ vol }));
  return {
    target,
    volume: vol.name,
    path,
    format: info.format && info.format !== "none" ? info.format : "raw",
    capacityBytes: info.capacityBytes,
    allocationBytes: info.allocationBytes,
    type: info.type === "block" ? "block" : "file",
  };
}

export interface StartedCreate {
  templateId: string;
  taskId: string;
  /** Settles when the copies are done (the template ready) or the task failed or was cancelled. */
  done: Promise<TemplateInfo>;
}

/**
 * Checks the VM (shut off), the name (free on the host) and the pool (active), writes the
 * `creating` row and starts the task that copies the disks; answers without waiting for the copies.
 */
export async function createTemplate(db: Db, vm: ResolvedVm, input: CreateInput, user: Actor): Promise<StartedCreate> {
  const { conn, dom } = vm;
  const context = auditTargets.template(vm.hostId, input.name);
  const { xml, details } = await withLibvirtContext(vm.context, async () => {
    const { state } = await conn.domainGetState({ dom, flags: 0 });
    if (vmStateName(state) !== "shutoff") throw new ServiceError(`${vm.context}: shut it down before making a template of it`, "conflict");
    const xml = await conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE });
    return { xml, details: parseDomainXml(xml) };
  });
  if (templateNameTaken(db, vm.hostId, input.name))
    throw new ServiceError(`${context}: a template with this name already exists`, "conflict", { field: "name" });
  const pool = await activePool(conn, vm.hostId, input.pool);
  const writable = details.disks.filter((d) => d.device === "disk" && !d.readonly && d.source);
  const id = randomBytes(8).toString("hex");
  insertTemplate(db, {
    id,
    hostId: vm.hostId,
    name: input.name,
    description: input.description,
    sourceVm: vm.name,
    pool: input.pool,
    vcpus: details.vcpus,
    memoryMiB: Math.round(details.memoryKiB / 1024),
    domainXml: "",
    createdByUserId: user.id,
    createdBy: user.username,
  });
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "template.create",
      target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid: uuidToString(dom.uuid) },
      user,
      detail: input.name,
      cancellable: true,
    },
    (task) => copyTemplateDisks(db, vm, { id, name: input.name, context, xml, writable, pool }, task),
    (t) => ({ templateId: t.id, name: t.name }),
  );
  updateTemplate(db, id, { taskId });
  return { templateId: id, taskId, done };
}

interface CopyPlan {
  id: string;
  name: string;
  context: string;
  xml: string;
  writable: DiskInfo[];
  pool: { pool: protocol.NonnullStoragePool; type: string };
}

async function copyTemplateDisks(db: Db, vm: ResolvedVm, plan: CopyPlan, task: TaskHandle): Promise<TemplateInfo> {
  const { conn, dom } = vm;
  const copies: { vol: protocol.NonnullStorageVol; disk: TemplateDisk & { type: "file" | "block" } }[] = [];
  try {
    for (const [i, disk] of plan.writable.entries()) {
      if (task.signal.aborted) throw new ServiceError(`${plan.context}: cancelled; the ${copies.length} disk copies made were deleted`, "conflict");
      // Copying a disk a running VM writes to would freeze a torn image.
      const { state } = await conn.domainGetState({ dom, flags: 0 });
      if (vmStateName(state) !== "shutoff")
        throw new ServiceError(`${vm.context}: was started while its disks were copied into template "${plan.name}"`, "conflict");
      task.progress({ fraction: i / plan.writable.length });
      task.log(`Copying disk ${disk.target} (${disk.source})`);
      const copy = await withLibvirtContext(`${vm.context}: disk ${disk.target} (${disk.source})`, async () => {
        const source = await diskVolume(conn, disk);
        const info = parseVolumeXml(await conn.storageVolGetXmlDesc({ vol: source, flags: 0 }));
        const format = formatFor(plan.pool.type, info.format);
        const xml = buildVolumeXml({ name: volumeName(plan.name, disk.target, format ?? null), capacityBytes: info.capacityBytes, format });
        const vol = await conn.storageVolCreateXmlFrom({ pool: plan.pool.pool, xml, clonevol: source, flags: 0 });
        return { vol, disk: await describeCopy(conn, vol, disk.target) };
      });
      copies.push(copy);
      task.log(`Disk ${disk.target} copied to ${copy.disk.path}`);
    }
    task.setCancellable(false);
    task.progress({ fraction: 1 });
    const domainXml = templateDomainXml(
      plan.xml,
      plan.name,
      copies.map(({ disk }) => ({ target: disk.target, path: disk.path, format: disk.format, type: disk.type })),
    );
    const disks = copies.map(({ disk: { type: _type, ...d } }) => d);
    updateTemplate(db, plan.id, { state: "ready", error: null, disks, domainXml });
    task.log(`Template "${plan.name}" is ready`);
    return templateInfo(storedTemplate(db, { id: plan.id, hostId: vm.hostId, name: plan.name }));
  } catch (err) {
    for (const c of copies) await conn.storageVolDelete({ vol: c.vol, flags: 0 }).catch(() => undefined);
    if (task.signal.aborted) deleteTemplateRow(db, plan.id);
    else updateTemplate(db, plan.id, { state: "failed", error: (err as Error).message });
    throw err;
  }
}

// ── Deploy ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Makes a VM of a ready template (README.md, "Deploy") as a task, and answers when the VM is
 * defined (and started, if asked). The cloud-init input is checked (user-data parsed, password
 * hashed) before anything is made, so a field error leaves nothing behind.
 */
export async function deployTemplate(
  db: Db,
  host: ResolvedHost,
  template: TemplateInfo,
  input: DeployInput,
  user: Actor,
): Promise<{ uuid: string; name: string; taskId: string }> {
  const { conn } = host;
  const stored = storedTemplate(db, template);
  const tContext = templateContext(stored);
  const vmContext = auditTargets.vm(host.id, input.name);
  if (stored.state !== "ready") {
    throw new ServiceError(`${tContext}: is ${stored.state === "creating" ? "still being made" : "failed"}; it cannot be deployed`, "conflict");
  }
  const clash = await withLibvirtContext(vmContext, () =>
    conn.domainLookupByName({ name: input.name }).catch((err: unknown) => (isNoDomain(err) ? null : Promise.reject(err))),
  );
  if (clash) throw new ServiceError(`${vmContext}: a VM with this name already exists`, "conflict", { field: "name" });
  const pool = await activePool(conn, host.id, input.pool);
  if (input.mode === "linked" && pool.type === "logical") {
    throw new ServiceError(`${auditTargets.pool(host.id, input.pool)}: a linked clone is a qcow2 overlay and needs a directory or NFS pool`, "invalid", {
      field: "pool",
    });
  }
  // Checked before the task: a YAML error or a bad password is the form's, and nothing is made.
  const seedSpec = input.cloudInit ? await resolveSeedSpec(input.cloudInit, defaultHostname(input.name)) : null;
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "template.deploy",
      target: { hostId: host.id, kind: "vm", name: input.name, uuid: null },
      user,
      detail: stored.name,
      cancellable: true,
    },
    (task) => runDeploy(host, stored, input, seedSpec, pool, task),
    (vm) => ({ uuid: vm.uuid, name: vm.name }),
  );
  const vm = await done;
  return { ...vm, taskId };
}

async function runDeploy(
  host: ResolvedHost,
  template: StoredTemplate,
  input: DeployInput,
  seedSpec: SeedSpec | null,
  pool: { pool: protocol.NonnullStoragePool; type: string },
  task: TaskHandle,
): Promise<{ uuid: string; name: string }> {
  const { conn } = host;
  const vmContext = auditTargets.vm(host.id, input.name);
  const made: protocol.NonnullStorageVol[] = [];
  const started = Date.now();
  try {
    const placements: DiskPlacement[] = [];
    for (const [i, disk] of template.disks.entries()) {
      if (task.signal.aborted) throw new ServiceError(`${vmContext}: deploy cancelled; the ${made.length} volumes made were deleted`, "conflict");
      task.progress({ fraction: i / (template.disks.length + 1) });
      const placed = await withLibvirtContext(`${vmContext}: disk ${disk.target}`, async () => {
        const from = await conn.storageVolLookupByPath({ path: disk.path });
        if (input.mode === "linked") {
          const xml = buildVolumeXml({
            name: volumeName(input.name, disk.target, "qcow2"),
            capacityBytes: disk.capacityBytes,
            format: "qcow2",
            backingStore: { path: disk.path, format: disk.format },
          });
          task.log(`Making disk ${disk.target} as an overlay on ${disk.path}`);
          return conn.storageVolCreateXml({ pool: pool.pool, xml, flags: 0 });
        }
        const format = formatFor(pool.type, disk.format);
        const xml = buildVolumeXml({ name: volumeName(input.name, disk.target, format ?? null), capacityBytes: disk.capacityBytes, format });
        task.log(`Copying disk ${disk.target} from ${disk.path}`);
        return conn.storageVolCreateXmlFrom({ pool: pool.pool, xml, clonevol: from, flags: 0 });
      });
      made.push(placed);
      const d = await describeCopy(conn, placed, disk.target);
      placements.push({ target: disk.target, path: d.path, format: d.format, type: d.type });
      task.log(`Disk ${disk.target} is ${d.path}`);
    }
    let seed: { path: string; type: "file" | "block" } | undefined;
    if (seedSpec) {
      task.log("Writing the cloud-init seed");
      const name = await writeSeedVolume(host, input.pool, input.name, seedSpec);
      const vol = await conn.storageVolLookupByName({ pool: pool.pool, name });
      made.push(vol);
      const d = await describeCopy(conn, vol, "seed");
      seed = { path: d.path, type: d.type };
    }
    if (task.signal.aborted) throw new ServiceError(`${vmContext}: deploy cancelled; the ${made.length} volumes made were deleted`, "conflict");
    task.setCancellable(false);
    const xml = deployDomainXml(template.domainXml, input.name, placements, seed);
    const dom = await withLibvirtContext(vmContext, () => conn.domainDefineXmlFlags({ xml, flags: 0 }));
    made.length = 0; // from here on the volumes belong to a defined VM and must stay
    task.madeVm(uuidToString(dom.uuid));
    task.log(`VM "${input.name}" defined from template "${template.name}" (${input.mode}) in ${Date.now() - started} ms`);
    if (input.start) {
      await withLibvirtContext(`${vmContext} was created, but`, () => conn.domainCreateWithFlags({ dom, flags: 0 }));
      task.log(`VM "${input.name}" started`);
    }
    return { uuid: uuidToString(dom.uuid), name: dom.name };
  } catch (err) {
    for (const vol of made) await conn.storageVolDelete({ vol, flags: 0 }).catch(() => undefined);
    throw err;
  }
}

// ── Delete ────────────────────────────────────────────────────────────────────────────────────────

/** Refused while anything reads a template disk (README.md, "Delete"); else its volumes and its row go. */
export async function deleteTemplate(db: Db, host: ResolvedHost, template: TemplateInfo): Promise<void> {
  const { conn } = host;
  const context = templateContext(template);
  if (template.state === "creating") throw new ServiceError(`${context}: its disks are still being copied; cancel its task first`, "conflict");
  await withLibvirtContext(context, async () => {
    // An inactive pool hides its volumes: their users and their files could not be told apart from none.
    const pool = await conn.storagePoolLookupByName({ name: template.pool }).catch((err: unknown) => (isNoStoragePool(err) ? null : Promise.reject(err)));
    if (pool && (await conn.storagePoolIsActive({ pool })) !== 1) {
      throw new ServiceError(`${context}: its pool "${template.pool}" is not active; start it so the template's volumes can be deleted`, "conflict");
    }
    const users = await templateUsers(
      conn,
      template.disks.map((d) => d.path),
    );
    if (users.length) {
      const names = users.map((u) => (u.kind === "vm" ? `VM "${u.name}"` : `volume ${u.name}`)).join(", ");
      throw new ServiceError(`${context} is used by linked clones: ${names}`, "conflict");
    }
    for (const disk of template.disks) {
      try {
        const vol = await conn.storageVolLookupByPath({ path: disk.path });
        await conn.storageVolDelete({ vol, flags: 0 });
      } catch (err) {
        // Already gone (deleted by hand, or its pool deleted): the template's row goes all the same.
        if (!isNoStorageVol(err)) throw err;
      }
    }
  });
  deleteTemplateRow(db, template.id);
}
