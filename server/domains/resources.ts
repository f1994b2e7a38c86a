import {
  flagsOf,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_MEM_MAXIMUM,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
} from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import type { ResolvedVm } from "./lookup";
import { parseDomainXml, type DomainDetails } from "./xml";
import { vmStateName } from "./power";
import { memoryLayoutOf, withMaxVcpus, type MemoryLayout } from "./memory-xml";
import { attachDimm, definitionWithTotal, planMemoryHotplug } from "./memory-hotplug";

/**
 * vCPUs and memory of a VM: how many are in use now and the most it may have. The maximums are
 * fixed while QEMU runs (they size the machine it built), so they change at the next boot; the
 * current counts of a running VM change live as far as its maximums allow — vCPUs by hot-plug,
 * memory through the balloon — and are saved for the next boot too.
 */
export interface Resources {
  vcpus: number;
  maxVcpus: number;
  memoryKiB: number;
  maxMemoryKiB: number;
}

export type ResourceName = keyof Resources;

/** When a change takes effect, as a code the page words in its language: a shut-off VM has only its next boot. */
export type Applies = "nowAndNextBoot" | "nextBoot";

export interface ResourceChange {
  what: ResourceName;
  from: number;
  to: number;
  applies: Applies;
  /** Why a change the VM could take live did not (libvirt's refusal), in words. */
  notLive?: string;
}

export type Step = { what: ResourceName; scope: "config" | "live" };

export function resourcesOf(details: DomainDetails): Resources {
  return { vcpus: details.currentVcpus, maxVcpus: details.vcpus, memoryKiB: details.currentMemoryKiB, maxMemoryKiB: details.memoryKiB };
}

/** Refuses a change no VM could take: fewer than one vCPU, current above maximum. */
export function checkResources(context: string, wanted: Resources): void {
  if (wanted.vcpus > wanted.maxVcpus) throw new ServiceError(`${context}: ${wanted.vcpus} vCPUs is more than the maximum of ${wanted.maxVcpus}`, "invalid");
  if (wanted.memoryKiB > wanted.maxMemoryKiB) throw new ServiceError(`${context}: the memory in use cannot be more than the maximum memory`, "invalid");
}

/**
 * The libvirt calls a change needs, in an order libvirt accepts: in the saved definition a
 * maximum is raised before the current value and lowered after it, so current ≤ maximum holds at
 * every step; on a running VM only current values change, and only within the maximums it runs with.
 */
export function planResourceSteps(config: Resources, live: Resources | null, wanted: Resources): Step[] {
  const steps: Step[] = [];
  const pair = (current: "vcpus" | "memoryKiB", max: "maxVcpus" | "maxMemoryKiB") => {
    const order: ResourceName[] = wanted[max] > config[max] ? [max, current] : [current, max];
    for (const what of order) if (wanted[what] !== config[what]) steps.push({ what, scope: "config" });
    if (live && wanted[current] !== live[current] && wanted[current] <= live[max]) steps.push({ what: current, scope: "live" });
  };
  pair("vcpus", "maxVcpus");
  pair("memoryKiB", "maxMemoryKiB");
  return steps;
}

/** What changed and when each takes effect, from what was asked and which live steps libvirt carried out. */
export function describeChanges(
  config: Resources,
  live: Resources | null,
  wanted: Resources,
  liveDone: ReadonlySet<ResourceName>,
  refused: ReadonlyMap<ResourceName, string>,
) {
  const changes: ResourceChange[] = [];
  for (const what of ["vcpus", "maxVcpus", "memoryKiB", "maxMemoryKiB"] as const) {
    const from = live?.[what] ?? config[what];
    if (wanted[what] === from && wanted[what] === config[what]) continue;
    const notLive = refused.get(what);
    changes.push({ what, from, to: wanted[what], applies: liveDone.has(what) ? "nowAndNextBoot" : "nextBoot", ...(notLive ? { notLive } : {}) });
  }
  return changes;
}

/** What one memory change plugged into the running VM: a module of `sizeKiB`, for `askedKiB` asked (less when rounded up to whole blocks). */
export interface MemoryAdded {
  sizeKiB: number;
  askedKiB: number;
}

/** A VM's figures and memory layout, saved and (when it runs) live: what a change is planned from. */
export interface ResourceState {
  running: boolean;
  config: Resources;
  configLayout: MemoryLayout;
  live: Resources | null;
  liveLayout: MemoryLayout | null;
}

async function readResources(vm: ResolvedVm): Promise<ResourceState> {
  const { conn, dom } = vm;
  const [inactiveXml, state] = await Promise.all([conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE }), conn.domainGetState({ dom, flags: 0 })]);
  const running = vmStateName(state.state) === "running" || vmStateName(state.state) === "paused";
  const liveXml = running ? await conn.domainGetXmlDesc({ dom, flags: 0 }) : null;
  return {
    running,
    config: resourcesOf(parseDomainXml(inactiveXml)),
    configLayout: memoryLayoutOf(inactiveXml),
    live: liveXml ? resourcesOf(parseDomainXml(liveXml)) : null,
    liveLayout: liveXml ? memoryLayoutOf(liveXml) : null,
  };
}

/**
 * Saves the new figures in the persistent definition, then applies the current ones live when the
 * VM runs. A live change the guest or QEMU refuses (no hot-plug, no balloon driver) loses nothing:
 * the definition is already saved, and the answer says it applies at next boot and why not now.
 * More memory than a running VM with memory hot-plug has comes first, as a module plugged in
 * (server/domains/memory-hotplug.ts); the rest of the change then starts from what it made.
 */
export async function changeResources(vm: ResolvedVm, asked: Resources): Promise<{ changes: ResourceChange[]; memoryAdded?: MemoryAdded }> {
  checkResources(vm.context, asked);
  return withLibvirtContext(vm.context, async () => {
    const before = await readResources(vm);
    const { dimm, wanted, pending } = planMemoryHotplug(vm.context, before, asked);
    const liveDone = new Set<ResourceName>();
    const refused = new Map<ResourceName, string>();
    if (pending) refused.set("memoryKiB", pending);
    let now = before;
    if (dimm) {
      await attachDimm(vm, dimm.sizeKiB);
      liveDone.add("memoryKiB").add("maxMemoryKiB");
      now = await readResources(vm);
    }
    for (const step of planResourceSteps(now.config, now.live, wanted)) {
      if (step.scope === "config") {
        await applyConfigStep(vm, step.what, wanted[step.what], now.running);
        continue;
      }
      try {
        await applyStep(vm, step.what, wanted[step.what], VIR_DOMAIN_AFFECT_LIVE);
        liveDone.add(step.what);
      } catch (err) {
        refused.set(step.what, err instanceof Error ? err.message : String(err));
      }
    }
    const changes = describeChanges(before.config, before.live, wanted, liveDone, refused);
    return dimm ? { changes, memoryAdded: { sizeKiB: dimm.sizeKiB, askedKiB: asked.memoryKiB - before.live!.maxMemoryKiB } } : { changes };
  });
}

/**
 * A change to the saved definition. With a NUMA layout (memory hot-plug) libvirt refuses to set the
 * total memory and to lower the most vCPUs below a cell's, so those edit the XML instead.
 */
async function applyConfigStep(vm: ResolvedVm, what: ResourceName, value: number, running: boolean) {
  if (what === "maxMemoryKiB" || what === "maxVcpus") {
    const { conn, dom } = vm;
    const xml = await conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
    const layout = memoryLayoutOf(xml);
    if (what === "maxMemoryKiB" && layout.numaCells > 0) {
      await conn.domainDefineXmlFlags({ xml: definitionWithTotal(vm.context, xml, value, running), flags: 0 });
      return;
    }
    if (what === "maxVcpus" && layout.numaCells === 1 && value < parseDomainXml(xml).vcpus) {
      await conn.domainDefineXmlFlags({ xml: withMaxVcpus(xml, value), flags: 0 });
      return;
    }
  }
  await applyStep(vm, what, value, VIR_DOMAIN_AFFECT_CONFIG);
}

async function applyStep(vm: ResolvedVm, what: ResourceName, value: number, scope: typeof VIR_DOMAIN_AFFECT_CONFIG | typeof VIR_DOMAIN_AFFECT_LIVE) {
  const { conn, dom } = vm;
  if (what === "vcpus") return conn.domainSetVcpusFlags({ dom, nvcpus: value, flags: scope });
  if (what === "maxVcpus") return conn.domainSetVcpusFlags({ dom, nvcpus: value, flags: flagsOf(scope, VIR_DOMAIN_VCPU_MAXIMUM) });
  if (what === "memoryKiB") return conn.domainSetMemoryFlags({ dom, memory: BigInt(value), flags: scope });
  return conn.domainSetMemoryFlags({ dom, memory: BigInt(value), flags: flagsOf(scope, VIR_DOMAIN_MEM_MAXIMUM) });
}
