import { ServiceError } from "../errors";
import { ATTR, attr, buildXml, child, children, parseXml } from "../xml/codec";
import { buildOrdered, childNodes, element, elements, getAttr, parseOrdered, setAttr, tagOf, type OrderedNode } from "../xml/ordered";
import { scaledBytes } from "../xml/units";

/**
 * Memory hot-plug in a domain's XML. QEMU can add memory to a running guest only as DIMMs in slots
 * it reserved at start (`-m size,slots=N,maxmem=M`), which libvirt writes from `<maxMemory>`, and
 * only into a NUMA node, so the VM needs at least one `<cell>`. A VM without its own NUMA layout
 * gets one cell holding every vCPU and its boot memory: the guest sees what it saw before (Linux
 * always has a node 0).
 */

/** Linux's memory block on x86_64 (`/sys/devices/system/memory/block_size_bytes`): a smaller DIMM leaves part of a block the guest cannot online. */
export const MEMORY_BLOCK_KIB = 128 * 1024;
/** DIMM slots a VM gets: Proxmox's count too, plenty for growing a VM in steps. */
export const HOTPLUG_SLOTS = 16;
/** The highest ceiling we set: QEMU's default 40 physical address bits under TCG hold 1 TiB, minus the PCI hole and device memory. */
export const HOTPLUG_CEILING_CAP_KIB = 512 * 1024 * 1024;

export interface Dimm {
  sizeKiB: number;
  /** The slot libvirt gave it (`<address type='dimm' slot>`); null until libvirt has placed it. */
  slot: number | null;
}

export interface MemoryLayout {
  /** `<maxMemory>` with slots: the VM can take DIMMs (if it has a NUMA cell to put them in). */
  hotplug: { slots: number; ceilingKiB: number } | null;
  /** NUMA cells (`<cpu><numa><cell>`); DIMMs go into cell 0. */
  numaCells: number;
  /** Memory QEMU starts with, not in DIMMs: the cells' total, or `<memory>` without NUMA. */
  bootKiB: number;
  dimms: Dimm[];
}

/** A memory figure in KiB (libvirt's default unit for these elements). */
function kib(node: unknown): number {
  return Math.round((scaledBytes(node, "KiB") ?? 0) / 1024);
}

/** A figure written as a value and a unit in attributes (`<cell memory='…' unit='…'>`), or an element's text in an ordered tree. */
function kibOf(value: string | undefined, unit: string | undefined): number {
  return kib({ "#text": value, ...(unit ? { [`${ATTR}unit`]: unit } : {}) });
}

export function memoryLayoutOf(xml: string): MemoryLayout {
  const domain = child(parseXml(xml, "domain XML"), "domain");
  if (!domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  const max = child(domain, "maxMemory");
  const cells = children(child(child(domain, "cpu"), "numa"), "cell");
  const dimms = children(child(domain, "devices"), "memory")
    .filter((m) => attr(m, "model") === "dimm")
    .map((m) => {
      const slot = attr(child(m, "address"), "slot");
      return { sizeKiB: kib(child(child(m, "target"), "size")), slot: slot === undefined ? null : Number(slot) };
    });
  const total = kib(domain.memory);
  const cellsKiB = cells.reduce((sum, c) => sum + kibOf(attr(c, "memory"), attr(c, "unit")), 0);
  return {
    hotplug: max && Number(attr(max, "slots") ?? "0") > 0 ? { slots: Number(attr(max, "slots")), ceilingKiB: kib(max) } : null,
    numaCells: cells.length,
    bootKiB: cells.length > 0 ? cellsKiB : total - dimms.reduce((sum, d) => sum + d.sizeKiB, 0),
    dimms,
  };
}

/** Whether a running VM with this layout can take a DIMM now. */
export function canHotplugMemory(layout: MemoryLayout): boolean {
  return layout.hotplug !== null && layout.numaCells > 0;
}

export function roundUpToBlock(kib: number): number {
  return Math.ceil(kib / MEMORY_BLOCK_KIB) * MEMORY_BLOCK_KIB;
}

/**
 * The most a VM may grow to while running: the host's memory (more would only swap), at least a
 * block above what the VM has, at most what QEMU can address; whole blocks, as QEMU aligns maxmem.
 */
export function hotplugCeilingKiB(hostKiB: number, vmKiB: number): number {
  const floor = roundUpToBlock(vmKiB) + MEMORY_BLOCK_KIB;
  return Math.min(HOTPLUG_CEILING_CAP_KIB, Math.max(floor, Math.floor(hostKiB / MEMORY_BLOCK_KIB) * MEMORY_BLOCK_KIB));
}

/** The `<memory model='dimm'>` device of one module in NUMA node 0, for virDomainAttachDeviceFlags. */
export function dimmDeviceXml(sizeKiB: number): string {
  return buildXml({
    memory: { [`${ATTR}model`]: "dimm", target: { size: { [`${ATTR}unit`]: "KiB", "#text": sizeKiB }, node: 0 } },
  });
}

function domainOf(tree: OrderedNode[]): OrderedNode {
  const domain = tree.find((n) => tagOf(n) === "domain");
  if (!domain?.domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  return domain;
}

function newNode(tag: string, attrs: Record<string, string>, text?: string): OrderedNode {
  const node = { [tag]: text === undefined ? [] : [{ "#text": text } as OrderedNode] } as OrderedNode;
  for (const [name, value] of Object.entries(attrs)) setAttr(node, name, value);
  return node;
}

function textNode(node: OrderedNode | undefined): string | undefined {
  const first = node ? node[tagOf(node) ?? ""]?.[0] : undefined;
  return first?.["#text"];
}

function vcpuMaxOf(domain: OrderedNode): number {
  return Number(textNode(element(domain, "vcpu")) ?? "1");
}

function cpuListOf(maxVcpus: number): string {
  return maxVcpus > 1 ? `0-${maxVcpus - 1}` : "0";
}

/** `<cpu>`, made (after `<vcpu>`, where libvirt writes it) when the definition has none. */
function cpuElement(domain: OrderedNode): OrderedNode {
  const existing = element(domain, "cpu");
  if (existing) return existing;
  const cpu = { cpu: [] } as OrderedNode;
  const children = domain.domain!;
  children.splice(children.findIndex((c) => tagOf(c) === "vcpu") + 1 || children.length, 0, cpu);
  return cpu;
}

function removeElement(parent: OrderedNode, node: OrderedNode): void {
  const list = parent[tagOf(parent) ?? ""]!;
  list.splice(list.indexOf(node), 1);
}

/**
 * The definition with memory hot-plug switched on (`<maxMemory>` and, when it has no NUMA layout
 * of its own, one cell with every vCPU and its boot memory) or off (both removed again; a layout of
 * several cells was the user's and stays). Turning it off with DIMMs attached is the caller's to
 * refuse: libvirt would reject the definition.
 */
export function withMemoryHotplug(xml: string, hotplug: { slots: number; ceilingKiB: number } | null): string {
  const tree = parseOrdered(xml, "domain XML");
  const domain = domainOf(tree);
  const oldMax = element(domain, "maxMemory");
  if (oldMax) removeElement(domain, oldMax);
  const cpu = element(domain, "cpu");
  const numa = cpu ? element(cpu, "numa") : undefined;
  if (!hotplug) {
    if (cpu && numa && elements(numa, "cell").length === 1) removeElement(cpu, numa);
    // A <cpu> left with no model and nothing in it was made by turning hot-plug on (libvirt adds mode='custom'): it meant QEMU's default CPU, as no <cpu> does.
    if (cpu && childNodes(cpu).length === 0 && (getAttr(cpu, "mode") ?? "custom") === "custom") removeElement(domain, cpu);
    return buildOrdered(tree);
  }
  const children = domain.domain!;
  const memoryAt = children.findIndex((c) => tagOf(c) === "memory");
  children.splice(
    memoryAt === -1 ? children.length : memoryAt,
    0,
    newNode("maxMemory", { slots: String(hotplug.slots), unit: "KiB" }, String(hotplug.ceilingKiB)),
  );
  if (!numa) {
    const cell = newNode("cell", { id: "0", cpus: cpuListOf(vcpuMaxOf(domain)), memory: String(memoryLayoutOf(xml).bootKiB), unit: "KiB" });
    cpuElement(domain).cpu!.push({ numa: [cell] } as OrderedNode);
  }
  return buildOrdered(tree);
}

/** The one NUMA cell, or a refusal in words when the VM's layout is its own (several cells) or missing. */
function singleCell(domain: OrderedNode, what: string): OrderedNode {
  const cpu = element(domain, "cpu");
  const numa = cpu ? element(cpu, "numa") : undefined;
  const cells = numa ? elements(numa, "cell") : [];
  if (cells.length !== 1) throw new ServiceError(`its NUMA layout has ${cells.length} nodes; change ${what} in its XML`, "invalid");
  return cells[0]!;
}

/**
 * The definition with `bootKiB` of memory QEMU starts with: with NUMA, libvirt takes the VM's
 * size from its cells and DIMMs (`<memory>` is recomputed, and its API refuses to set it), so the
 * cell is what changes. The balloon target never exceeds the new total.
 */
export function withBootMemory(xml: string, bootKiB: number): string {
  const tree = parseOrdered(xml, "domain XML");
  const domain = domainOf(tree);
  const cell = singleCell(domain, "its memory");
  setAttr(cell, "memory", String(bootKiB));
  setAttr(cell, "unit", "KiB");
  const total = bootKiB + memoryLayoutOf(xml).dimms.reduce((sum, d) => sum + d.sizeKiB, 0);
  for (const tag of ["memory", "currentMemory"]) {
    const node = element(domain, tag);
    if (!node) continue;
    const current = kibOf(textNode(node), node[":@"]?.[`${ATTR}unit`]);
    node[tag] = [{ "#text": String(tag === "memory" ? total : Math.min(current, total)) } as OrderedNode];
    setAttr(node, "unit", "KiB");
  }
  return buildOrdered(tree);
}

/** The definition without its DIMMs: for a shut-off VM whose modules become boot memory (withBootMemory then sizes it). */
export function withoutDimms(xml: string): string {
  const tree = parseOrdered(xml, "domain XML");
  const devices = element(domainOf(tree), "devices");
  if (devices) devices.devices = childNodes(devices).filter((d) => !(tagOf(d) === "memory" && d[":@"]?.["@_model"] === "dimm"));
  return buildOrdered(tree);
}

/**
 * The definition with fewer vCPUs at most, in its `<vcpu>` and its one NUMA cell together: libvirt
 * refuses a maximum below the cell's vCPUs, and on every define it fills a lone cell with all of
 * the `<vcpu>` count, so neither can be lowered on its own.
 */
export function withMaxVcpus(xml: string, maxVcpus: number): string {
  const tree = parseOrdered(xml, "domain XML");
  const domain = domainOf(tree);
  setAttr(singleCell(domain, "its vCPUs"), "cpus", cpuListOf(maxVcpus));
  const vcpu = element(domain, "vcpu");
  if (vcpu) {
    vcpu.vcpu = [{ "#text": String(maxVcpus) } as OrderedNode];
    const current = vcpu[":@"]?.["@_current"];
    if (current !== undefined && Number(current) > maxVcpus) setAttr(vcpu, "current", String(maxVcpus));
  }
  return buildOrdered(tree);
}
