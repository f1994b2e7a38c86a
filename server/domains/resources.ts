import {
  flagsOf,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_MEM_MAXIMUM,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
} from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import type { ResolvedVm } from "./lookup";
import { parseDomainXml, type DomainDetails } from "./xml";
import { vmStateName } from "./power";

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

/**
 * Saves the new figures in the persistent definition, then applies the current ones live when the
 * VM runs. A live change the guest or QEMU refuses (no hot-plug, no balloon driver) loses nothing:
 * the definition is already saved, and the answer says it applies at next boot and why not now.
 */
export async function changeResources(vm: ResolvedVm, wanted: Resources): Promise<{ changes: ResourceChange[] }> {
  checkResources(vm.context, wanted);
  const { conn, dom } = vm;
  return withLibvirtContext(vm.context, async () => {
    const [inactiveXml, state] = await Promise.all([conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE }), conn.domainGetState({ dom, flags: 0 })]);
    const running = vmStateName(state.state) === "running" || vmStateName(state.state) === "paused";
    const config = resourcesOf(parseDomainXml(inactiveXml));
    const live = running ? resourcesOf(parseDomainXml(await conn.domainGetXmlDesc({ dom, flags: 0 }))) : null;
    const liveDone = new Set<ResourceName>();
    const refused = new Map<ResourceName, string>();
    for (const step of planResourceSteps(config, live, wanted)) {
      if (step.scope === "config") {
        await applyStep(vm, step.what, wanted[step.what], VIR_DOMAIN_AFFECT_CONFIG);
        continue;
      }
      try {
        await applyStep(vm, step.what, wanted[step.what], VIR_DOMAIN_AFFECT_LIVE);
        liveDone.add(step.what);
      } catch (err) {
        refused.set(step.what, err instanceof Error ? err.message : String(err));
      }
    }
    return { changes: describeChanges(config, live, wanted, liveDone, refused) };
  });
}

async function applyStep(vm: ResolvedVm, what: ResourceName, value: number, scope: typeof VIR_DOMAIN_AFFECT_CONFIG | typeof VIR_DOMAIN_AFFECT_LIVE) {
  const { conn, dom } = vm;
  if (what === "vcpus") return conn.domainSetVcpusFlags({ dom, nvcpus: value, flags: scope });
  if (what === "maxVcpus") return conn.domainSetVcpusFlags({ dom, nvcpus: value, flags: flagsOf(scope, VIR_DOMAIN_VCPU_MAXIMUM) });
  if (what === "memoryKiB") return conn.domainSetMemoryFlags({ dom, memory: BigInt(value), flags: scope });
  return conn.domainSetMemoryFlags({ dom, memory: BigInt(value), flags: flagsOf(scope, VIR_DOMAIN_MEM_MAXIMUM) });
}
