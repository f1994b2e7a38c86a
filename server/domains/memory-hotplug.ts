import { flagsOf, VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE } from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import type { ResolvedVm } from "./lookup";
import type { Resources, ResourceState } from "./resources";
import { vmStateName } from "./power";
import {
  canHotplugMemory,
  dimmDeviceXml,
  HOTPLUG_SLOTS,
  hotplugCeilingKiB,
  memoryLayoutOf,
  roundUpToBlock,
  withBootMemory,
  withMemoryHotplug,
  withoutDimms,
  type MemoryLayout,
} from "./memory-xml";

/**
 * Memory hot-plug, the VM setting and what it does to a memory change: a running VM that started
 * with it takes more memory at once as a DIMM; less memory is the balloon's (a Linux guest cannot
 * reliably give a hot-plugged module back — it must first move every page off it — so modules are
 * never unplugged from a running VM, as Proxmox recommends), and the size at next boot changes
 * the boot memory around the modules.
 */

/** The smallest boot memory we leave a VM (the API's minimum for its memory). */
const MIN_BOOT_KIB = 64 * 1024;

const mib = (kib: number) => `${Math.round((kib / 1024) * 10) / 10} MiB`;

function dimmTotal(layout: MemoryLayout): number {
  return layout.dimms.reduce((sum, d) => sum + d.sizeKiB, 0);
}

function modulesWords(layout: MemoryLayout): string {
  const n = layout.dimms.length;
  return `${mib(dimmTotal(layout))} of hot-plugged memory (${n} module${n === 1 ? "" : "s"})`;
}

export interface MemoryHotplugState {
  /** The setting in the saved definition: what the VM has from its next boot. */
  next: { enabled: boolean; ceilingKiB: number | null; slots: number | null; dimms: number; dimmKiB: number } | null;
  /** What the running VM started with: true when more memory can be plugged in now. Null when it does not run. */
  now: { enabled: boolean; ceilingKiB: number | null; slotsFree: number; dimms: number; dimmKiB: number } | null;
}

function summary(layout: MemoryLayout) {
  return { enabled: canHotplugMemory(layout), ceilingKiB: layout.hotplug?.ceilingKiB ?? null, dimms: layout.dimms.length, dimmKiB: dimmTotal(layout) };
}

/** The running VM's XML (null when it does not run) and its saved definition, whole (null for a transient VM). */
async function documents(vm: ResolvedVm) {
  const { conn, dom } = vm;
  const [state, persistent] = await Promise.all([conn.domainGetState({ dom, flags: 0 }), conn.domainIsPersistent({ dom })]);
  const running = vmStateName(state.state) === "running" || vmStateName(state.state) === "paused";
  const [live, config] = await Promise.all([
    running ? conn.domainGetXmlDesc({ dom, flags: 0 }) : null,
    persistent === 1 ? conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) }) : null,
  ]);
  return { live, config };
}

/** The boot memory of a NUMA layout is set in its one cell; a layout of several cells is the user's own, edited in its XML. */
function checkOneCell(context: string, layout: MemoryLayout): void {
  if (layout.numaCells !== 1) throw new ServiceError(`${context}: its NUMA layout has ${layout.numaCells} nodes; change its memory in its XML`, "invalid");
}

export async function readMemoryHotplug(vm: ResolvedVm): Promise<MemoryHotplugState> {
  return withLibvirtContext(vm.context, async () => {
    const { live, config } = await documents(vm);
    const next = config ? memoryLayoutOf(config) : null;
    const now = live ? memoryLayoutOf(live) : null;
    return {
      next: next && { ...summary(next), slots: next.hotplug?.slots ?? null },
      now: now && { ...summary(now), slotsFree: Math.max(0, (now.hotplug?.slots ?? 0) - now.dimms.length) },
    };
  });
}

/**
 * Turns memory hot-plug on or off in the saved definition; QEMU reserves the slots when it starts,
 * so it applies at the next boot. The ceiling is the host's memory. Off is refused while the
 * running VM has modules plugged in; a shut-off VM's modules become ordinary boot memory.
 */
export async function setMemoryHotplug(vm: ResolvedVm, enabled: boolean): Promise<{ applies: "nextBoot"; ceilingKiB: number | null }> {
  const { conn } = vm;
  return withLibvirtContext(vm.context, async () => {
    const { live, config } = await documents(vm);
    if (!config) throw new ServiceError(`${vm.context}: has no saved definition, so there is no next boot to turn memory hot-plug on for`, "invalid");
    const layout = memoryLayoutOf(config);
    const liveLayout = live ? memoryLayoutOf(live) : null;
    if (!enabled) {
      if (liveLayout && liveLayout.dimms.length > 0) {
        throw new ServiceError(
          `${vm.context}: memory hot-plug cannot be turned off while ${modulesWords(liveLayout)} is plugged into the running VM; shut it down first, and it becomes ordinary memory`,
          "conflict",
          { field: "memoryHotplug" },
        );
      }
      if (layout.dimms.length > 0) checkOneCell(vm.context, layout);
      const merged = layout.dimms.length > 0 ? withBootMemory(withoutDimms(config), layout.bootKiB + dimmTotal(layout)) : config;
      await conn.domainDefineXmlFlags({ xml: withMemoryHotplug(merged, null), flags: 0 });
      return { applies: "nextBoot" as const, ceilingKiB: null };
    }
    const host = await conn.nodeGetInfo();
    const ceilingKiB = hotplugCeilingKiB(
      Number(host.memory),
      Math.max(layout.bootKiB + dimmTotal(layout), liveLayout ? liveLayout.bootKiB + dimmTotal(liveLayout) : 0),
    );
    await conn.domainDefineXmlFlags({ xml: withMemoryHotplug(config, { slots: HOTPLUG_SLOTS, ceilingKiB }), flags: 0 });
    return { applies: "nextBoot" as const, ceilingKiB };
  });
}

export interface DimmPlan {
  sizeKiB: number;
  /** What the VM then has, current and maximum: the asked memory rounded up to whole modules. */
  wanted: Resources;
}

/**
 * Whether a change plugs a module in: on a running VM that started with hot-plug, when more memory
 * is asked than it has. The module is the difference in whole 128 MiB blocks; null when the
 * balloon or the next boot covers the change. A module that does not fit is refused in words.
 */
export function planDimm(context: string, live: Resources | null, layout: MemoryLayout | null, wanted: Resources): DimmPlan | null {
  if (!live || !layout || !canHotplugMemory(layout) || wanted.memoryKiB <= live.maxMemoryKiB) return null;
  const sizeKiB = roundUpToBlock(wanted.memoryKiB - live.maxMemoryKiB);
  const totalKiB = live.maxMemoryKiB + sizeKiB;
  const ceilingKiB = layout.hotplug!.ceilingKiB;
  if (totalKiB > ceilingKiB) {
    throw new ServiceError(
      `${context}: ${mib(totalKiB)} is more than the ${mib(ceilingKiB)} it can grow to while running (its memory hot-plug ceiling); give it at most ${mib(ceilingKiB)} now, or more from its next boot after it is shut down`,
      "invalid",
      { field: "memoryMiB" },
    );
  }
  if (layout.dimms.length >= layout.hotplug!.slots) {
    throw new ServiceError(`${context}: all ${layout.hotplug!.slots} memory slots are in use; more memory applies after it is shut down`, "conflict", {
      field: "memoryMiB",
    });
  }
  return { sizeKiB, wanted: { ...wanted, memoryKiB: totalKiB, maxMemoryKiB: Math.max(wanted.maxMemoryKiB, totalKiB) } };
}

export interface MemoryPlan {
  /** The module to plug in first, or null. */
  dimm: DimmPlan | null;
  /** The figures the rest of the change (resources.ts planResourceSteps) aims at. */
  wanted: Resources;
  /** Why more memory waits for the next boot although the definition has hot-plug on; null otherwise. */
  pending: string | null;
}

/**
 * What memory hot-plug makes of a change, before anything is done: a module to plug in, and the
 * size at next boot checked against the modules the definition will have, so that a change
 * refused there is refused before the module goes in.
 */
export function planMemoryHotplug(context: string, state: ResourceState, asked: Resources): MemoryPlan {
  const dimm = planDimm(context, state.live, state.liveLayout, asked);
  const wanted = dimm?.wanted ?? asked;
  const config = dimm ? { ...state.configLayout, dimms: [...state.configLayout.dimms, { sizeKiB: dimm.sizeKiB, slot: null }] } : state.configLayout;
  if (config.numaCells > 0 && wanted.maxMemoryKiB !== state.config.maxMemoryKiB + (dimm?.sizeKiB ?? 0)) {
    bootMemoryFor(context, config, wanted.maxMemoryKiB, state.running);
  }
  const turnedOnSinceStart =
    !dimm &&
    state.live &&
    state.liveLayout &&
    wanted.memoryKiB > state.live.maxMemoryKiB &&
    !canHotplugMemory(state.liveLayout) &&
    canHotplugMemory(state.configLayout);
  return {
    dimm,
    wanted,
    pending: turnedOnSinceStart ? "memory hot-plug was turned on after the VM started; it can take more memory while running from its next boot" : null,
  };
}

/** Plugs a module into the running VM and its definition (LIVE|CONFIG), as disks and NICs are attached. */
export async function attachDimm(vm: ResolvedVm, sizeKiB: number): Promise<void> {
  await vm.conn.domainAttachDeviceFlags({ dom: vm.dom, xml: dimmDeviceXml(sizeKiB), flags: flagsOf(VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_AFFECT_CONFIG) });
}

/**
 * The boot memory a definition with NUMA cells needs for `totalKiB` in all: while the VM runs, what
 * is left around its modules (they stay plugged in); a shut-off VM's modules become boot memory,
 * so its size can go anywhere. Refused in words when the modules alone are too much.
 */
export function bootMemoryFor(context: string, layout: MemoryLayout, totalKiB: number, running: boolean): number {
  checkOneCell(context, layout);
  if (!running) return totalKiB;
  const bootKiB = totalKiB - dimmTotal(layout);
  if (bootKiB < MIN_BOOT_KIB) {
    throw new ServiceError(
      `${context}: ${modulesWords(layout)} stays plugged in while it runs (a guest cannot reliably give hot-plugged memory back), so it cannot go below ${mib(dimmTotal(layout) + MIN_BOOT_KIB)} at next boot; lower the memory in use instead (the balloon takes it back now), or shut it down to make it smaller`,
      "invalid",
      { field: "maxMemoryMiB" },
    );
  }
  return bootKiB;
}

/** The saved definition with a new total memory when it has NUMA cells (libvirt's API refuses to set it then); see bootMemoryFor. */
export function definitionWithTotal(context: string, xml: string, totalKiB: number, running: boolean): string {
  const bootKiB = bootMemoryFor(context, memoryLayoutOf(xml), totalKiB, running);
  return running ? withBootMemory(xml, bootKiB) : withBootMemory(withoutDimms(xml), bootKiB);
}
