import { scaledBytes } from "../xml/units";
import { ATTR, attr, buildXml, child, children, parseXml, textOf, type XmlNode } from "../xml/codec";
import { PORTABLE_CPU_MODEL, type CpuSpec } from "./processor";
import { vncGraphicsNode } from "../console/devices";

/** Our namespace in `<metadata>`: libvirt keeps it verbatim, so tags travel with the VM, not in our database. */
export const KVMM_XMLNS = "https://kvm-manager.dev/xmlns/vm/1";
export { AGENT_CHANNEL, QGA_CHANNEL } from "./xml-names";
import { AGENT_CHANNEL, QGA_CHANNEL } from "./xml-names";

export type DiskBus = "virtio" | "sata" | "scsi";
export type NicSpec = ({ kind: "network"; network: string } | { kind: "bridge"; bridge: string } | { kind: "user" }) & {
  model: "virtio" | "e1000e";
  mac?: string;
};

export interface DiskSpec {
  path: string;
  /** A file image, or a block device such as an LVM volume. */
  diskType?: "file" | "block";
  format: "qcow2" | "raw";
  bus: DiskBus;
  device: "disk" | "cdrom";
  readonly?: boolean;
}

/** Everything needed to write a domain's XML, with storage already resolved to paths by the service. */
export interface DomainBuildSpec {
  name: string;
  uuid?: string;
  title?: string;
  description?: string;
  domainType: "kvm" | "qemu";
  /** Absent: the host's CPU with KVM, qemu64 with emulation. */
  cpu?: CpuSpec;
  vcpus: number;
  memoryMiB: number;
  firmware: "bios" | "uefi";
  secureBoot: boolean;
  kernelBoot?: { kernel: string; initrd?: string; cmdline?: string };
  disks: DiskSpec[];
  nics: NicSpec[];
  graphics: "vnc" | "none";
  tpm: boolean;
  serialLogFile?: string;
  tags: string[];
}

function targetDev(bus: DiskBus, index: number): string {
  const letter = String.fromCharCode("a".charCodeAt(0) + index);
  return bus === "virtio" ? `vd${letter}` : `sd${letter}`;
}

function diskNodes(disks: DiskSpec[]): XmlNode[] {
  const used: Record<string, number> = { vd: 0, sd: 0 };
  return disks.map((d) => {
    const prefix = d.bus === "virtio" ? "vd" : "sd";
    const dev = targetDev(d.bus, used[prefix]!++);
    const block = d.diskType === "block";
    return {
      [`${ATTR}type`]: block ? "block" : "file",
      [`${ATTR}device`]: d.device,
      driver: { [`${ATTR}name`]: "qemu", [`${ATTR}type`]: d.format },
      source: { [`${ATTR}${block ? "dev" : "file"}`]: d.path },
      target: { [`${ATTR}dev`]: dev, [`${ATTR}bus`]: d.bus },
      ...(d.readonly || d.device === "cdrom" ? { readonly: "" } : {}),
    };
  });
}

/** One `<interface>` element of a NIC spec: the domain builder's and the NIC editor's (server/domains/nic-xml.ts). */
export function nicNode(nic: NicSpec): XmlNode {
  const source = nic.kind === "network" ? { [`${ATTR}network`]: nic.network } : nic.kind === "bridge" ? { [`${ATTR}bridge`]: nic.bridge } : undefined;
  return {
    [`${ATTR}type`]: nic.kind,
    ...(nic.mac ? { mac: { [`${ATTR}address`]: nic.mac } } : {}),
    ...(source ? { source } : {}),
    model: { [`${ATTR}type`]: nic.model },
  };
}

function channelNode(name: string): XmlNode {
  return {
    [`${ATTR}type`]: "unix",
    source: { [`${ATTR}mode`]: "bind" },
    target: { [`${ATTR}type`]: "virtio", [`${ATTR}name`]: name },
  };
}

function osNode(spec: DomainBuildSpec): XmlNode {
  const os: XmlNode = { type: { [`${ATTR}arch`]: "x86_64", [`${ATTR}machine`]: "q35", "#text": "hvm" } };
  if (spec.firmware === "uefi") {
    os[`${ATTR}firmware`] = "efi";
    // libvirt picks the matching OVMF build from the firmware descriptors the ovmf package installs.
    os.firmware = {
      feature: [
        { [`${ATTR}enabled`]: spec.secureBoot ? "yes" : "no", [`${ATTR}name`]: "secure-boot" },
        { [`${ATTR}enabled`]: spec.secureBoot ? "yes" : "no", [`${ATTR}name`]: "enrolled-keys" },
      ],
    };
  }
  if (spec.kernelBoot) {
    os.kernel = spec.kernelBoot.kernel;
    if (spec.kernelBoot.initrd) os.initrd = spec.kernelBoot.initrd;
    if (spec.kernelBoot.cmdline) os.cmdline = spec.kernelBoot.cmdline;
  } else {
    const order = spec.disks.some((d) => d.device === "cdrom") ? ["cdrom", "hd"] : ["hd"];
    os.boot = order.map((dev) => ({ [`${ATTR}dev`]: dev }));
  }
  return os;
}

function serialNode(logFile: string | undefined): XmlNode {
  return {
    [`${ATTR}type`]: "pty",
    target: { [`${ATTR}port`]: "0" },
    ...(logFile ? { log: { [`${ATTR}file`]: logFile, [`${ATTR}append`]: "off" } } : {}),
  };
}

/** A named model is asked for exactly: a silent fallback to another model would hide what the user chose. */
function cpuNode(cpu: CpuSpec): XmlNode {
  if (cpu.mode !== "custom") return { [`${ATTR}mode`]: cpu.mode };
  return { [`${ATTR}mode`]: "custom", [`${ATTR}match`]: "exact", model: { [`${ATTR}fallback`]: "forbid", "#text": cpu.model } };
}

function metadataNode(tags: string[]): XmlNode {
  return {
    "kvmm:vm": {
      [`${ATTR}xmlns:kvmm`]: KVMM_XMLNS,
      "kvmm:tags": { "kvmm:tag": tags },
    },
  };
}

/** The domain XML for a new VM: always with both guest-agent channels, a serial console and a virtio RNG. */
export function buildDomainXml(spec: DomainBuildSpec): string {
  const devices: XmlNode = {
    disk: diskNodes(spec.disks),
    ...(spec.disks.some((d) => d.bus === "scsi") ? { controller: [{ [`${ATTR}type`]: "scsi", [`${ATTR}model`]: "virtio-scsi" }] } : {}),
    interface: spec.nics.map(nicNode),
    serial: [serialNode(spec.serialLogFile)],
    console: [{ [`${ATTR}type`]: "pty", target: { [`${ATTR}type`]: "serial", [`${ATTR}port`]: "0" } }],
    channel: [channelNode(AGENT_CHANNEL), channelNode(QGA_CHANNEL)],
    ...(spec.graphics === "vnc"
      ? {
          graphics: [vncGraphicsNode()],
          // virtio-vga: the legacy VGA text mode (firmware, boot loaders and the kernel's vgacon on
          // tty0 under TCG) plus virtio-gpu, whose driver follows the console's "resize the guest display".
          video: { model: { [`${ATTR}type`]: "virtio" } },
        }
      : {}),
    ...(spec.tpm ? { tpm: [{ [`${ATTR}model`]: "tpm-crb", backend: { [`${ATTR}type`]: "emulator", [`${ATTR}version`]: "2.0" } }] } : {}),
    memballoon: { [`${ATTR}model`]: "virtio" },
    rng: { [`${ATTR}model`]: "virtio", backend: { [`${ATTR}model`]: "random", "#text": "/dev/urandom" } },
  };
  const domain: XmlNode = {
    [`${ATTR}type`]: spec.domainType,
    name: spec.name,
    ...(spec.uuid ? { uuid: spec.uuid } : {}),
    ...(spec.title ? { title: spec.title } : {}),
    ...(spec.description ? { description: spec.description } : {}),
    metadata: metadataNode(spec.tags),
    memory: { [`${ATTR}unit`]: "MiB", "#text": spec.memoryMiB },
    currentMemory: { [`${ATTR}unit`]: "MiB", "#text": spec.memoryMiB },
    vcpu: { [`${ATTR}placement`]: "static", "#text": spec.vcpus },
    os: osNode(spec),
    features: { acpi: "", apic: "", ...(spec.secureBoot ? { smm: { [`${ATTR}state`]: "on" } } : {}) },
    cpu: cpuNode(spec.cpu ?? (spec.domainType === "kvm" ? { mode: "host-passthrough" } : { mode: "custom", model: PORTABLE_CPU_MODEL })),
    clock: { [`${ATTR}offset`]: "utc" },
    on_poweroff: "destroy",
    on_reboot: "restart",
    on_crash: "destroy",
    devices,
  };
  return buildXml({ domain });
}

export interface DiskInfo {
  device: string;
  bus: string;
  target: string;
  type: string;
  format: string | null;
  source: string | null;
  readonly: boolean;
}

export interface NicInfo {
  type: string;
  mac: string | null;
  source: string | null;
  model: string | null;
  /** The host-side device (vnet3) of a running VM; null in a saved definition. */
  target: string | null;
  /** `<link state>`: libvirt's default, when absent, is up. */
  link: "up" | "down";
}

export interface ChannelInfo {
  type: string;
  name: string | null;
  path: string | null;
  state: string | null;
}

export interface DomainDetails {
  name: string;
  uuid: string;
  title: string | null;
  description: string | null;
  domainType: string;
  /** `<cpu mode>` (libvirt's default is custom) and the named model, if any. */
  cpu: { mode: string; model: string | null };
  /** The most vCPUs the VM can have (`<vcpu>`); `currentVcpus` of them are plugged in (`current=`). */
  vcpus: number;
  currentVcpus: number;
  /** The most memory the VM can have (`<memory>`); `currentMemoryKiB` is the balloon's target. */
  memoryKiB: number;
  currentMemoryKiB: number;
  firmware: "bios" | "uefi";
  machine: string | null;
  /** The kernel libvirt boots directly (`<os><kernel>`), with no boot loader on a disk; null when it boots from firmware. */
  directKernel: { kernel: string; initrd: string | null } | null;
  disks: DiskInfo[];
  nics: NicInfo[];
  graphics: { type: string; port: number | null; listen: string | null }[];
  channels: ChannelInfo[];
  tags: string[];
}

/** A domain's memory figure in KiB (libvirt's default unit there). */
function kib(node: unknown): number {
  return Math.round((scaledBytes(node, "KiB") ?? 0) / 1024);
}

function diskSource(disk: XmlNode): string | null {
  const source = child(disk, "source");
  if (!source) return null;
  const pool = attr(source, "pool");
  if (pool) return `${pool}/${attr(source, "volume") ?? ""}`;
  return attr(source, "file") ?? attr(source, "dev") ?? attr(source, "name") ?? null;
}

function nicSource(nic: XmlNode): string | null {
  const source = child(nic, "source");
  return attr(source, "network") ?? attr(source, "bridge") ?? attr(source, "dev") ?? null;
}

function tagsOf(domain: XmlNode): string[] {
  const vm = child(child(domain, "metadata"), "kvmm:vm");
  return children(child(vm, "kvmm:tags"), "kvmm:tag")
    .map((t) => textOf(t) ?? "")
    .filter(Boolean);
}

function directKernelOf(os: XmlNode | undefined): DomainDetails["directKernel"] {
  const kernel = textOf(os?.kernel);
  return kernel ? { kernel, initrd: textOf(os?.initrd) ?? null } : null;
}

/** Reads libvirt's domain XML (live or inactive) into the facts the UI and services use. */
export function parseDomainXml(xml: string): DomainDetails {
  const domain = child(parseXml(xml, "domain XML"), "domain");
  if (!domain) throw new Error("domain XML has no <domain> root");
  const os = child(domain, "os");
  const devices = child(domain, "devices");
  const loader = child(os, "loader");
  const uefi = attr(os, "firmware") === "efi" || (loader !== undefined && attr(loader, "type") === "pflash");
  return {
    name: textOf(domain.name) ?? "",
    uuid: textOf(domain.uuid) ?? "",
    title: textOf(domain.title) ?? null,
    description: textOf(domain.description) ?? null,
    domainType: attr(domain, "type") ?? "",
    cpu: { mode: attr(child(domain, "cpu"), "mode") ?? "custom", model: textOf(child(domain, "cpu")?.model) ?? null },
    vcpus: Number(textOf(domain.vcpu) ?? "0"),
    currentVcpus: Number(attr(domain.vcpu, "current") ?? textOf(domain.vcpu) ?? "0"),
    memoryKiB: kib(domain.memory),
    currentMemoryKiB: kib(domain.currentMemory ?? domain.memory),
    firmware: uefi ? "uefi" : "bios",
    machine: attr(child(os, "type"), "machine") ?? null,
    directKernel: directKernelOf(os),
    disks: children(devices, "disk").map((d) => ({
      device: attr(d, "device") ?? "disk",
      bus: attr(child(d, "target"), "bus") ?? "",
      target: attr(child(d, "target"), "dev") ?? "",
      type: attr(d, "type") ?? "",
      format: attr(child(d, "driver"), "type") ?? null,
      source: diskSource(d),
      readonly: "readonly" in d,
    })),
    nics: children(devices, "interface").map((n) => ({
      type: attr(n, "type") ?? "",
      mac: attr(child(n, "mac"), "address") ?? null,
      source: nicSource(n),
      model: attr(child(n, "model"), "type") ?? null,
      target: attr(child(n, "target"), "dev") ?? null,
      link: attr(child(n, "link"), "state") === "down" ? ("down" as const) : ("up" as const),
    })),
    graphics: children(devices, "graphics").map((g) => {
      const port = Number(attr(g, "port") ?? "-1");
      return { type: attr(g, "type") ?? "", port: port > 0 ? port : null, listen: attr(g, "listen") ?? null };
    }),
    channels: children(devices, "channel").map((c) => ({
      type: attr(c, "type") ?? "",
      name: attr(child(c, "target"), "name") ?? null,
      path: attr(child(c, "source"), "path") ?? null,
      state: attr(child(c, "target"), "state") ?? null,
    })),
    tags: tagsOf(domain),
  };
}
