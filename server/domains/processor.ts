import { z } from "zod";
import { attr, child, children, parseXml, textOf } from "../xml/codec";

/**
 * How a VM's processor is provided: the accelerator (KVM, or QEMU's own emulation, TCG) and the CPU
 * the guest sees. A VM defined with a pair the host cannot run fails only at start, in QEMU's words
 * ("CPU mode 'host-passthrough' … is not supported by hypervisor"), so the create form offers, and
 * the server accepts, only what the host's domain capabilities list for the chosen accelerator.
 */
export const ACCELERATORS = ["kvm", "qemu"] as const;
export type Accelerator = (typeof ACCELERATORS)[number];

/** The model libvirt and QEMU can emulate on any x86_64 host: TCG's default here. */
export const PORTABLE_CPU_MODEL = "qemu64";

export const cpuSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("host-passthrough") }),
  z.object({ mode: z.literal("host-model") }),
  z.object({ mode: z.literal("custom"), model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a CPU model name such as qemu64 or Haswell") }),
]);
export type CpuSpec = z.infer<typeof cpuSchema>;

/** What the host offers one accelerator, read from `virConnectGetDomainCapabilities`. */
export interface AcceleratorCpus {
  hostPassthrough: boolean;
  hostModel: boolean;
  /** Named models the host can provide in full with this accelerator (libvirt's `usable='yes'`). */
  models: string[];
}

/** Whether the host's capabilities offer KVM for x86_64 guests (`<domain type='kvm'/>` under a guest arch). */
export function capabilitiesOfferKvm(capabilitiesXml: string): boolean {
  const guests = children(child(parseXml(capabilitiesXml, "host capabilities"), "capabilities"), "guest");
  return guests.some((g) => attr(child(g, "arch"), "name") === "x86_64" && children(child(g, "arch"), "domain").some((d) => attr(d, "type") === "kvm"));
}

/** The CPU choices in one domain-capabilities document (one accelerator, machine and arch). */
export function parseDomainCapabilitiesCpus(xml: string): AcceleratorCpus {
  const cpu = child(child(parseXml(xml, "domain capabilities"), "domainCapabilities"), "cpu");
  const modes = children(cpu, "mode");
  const mode = (name: string) => modes.find((m) => attr(m, "name") === name);
  const supported = (name: string) => attr(mode(name), "supported") === "yes";
  const models = supported("custom")
    ? children(mode("custom"), "model")
        .filter((m) => attr(m, "usable") !== "no")
        .map((m) => textOf(m) ?? "")
        .filter(Boolean)
    : [];
  return { hostPassthrough: supported("host-passthrough"), hostModel: supported("host-model"), models: [...new Set(models)].sort(compareModels) };
}

/** qemu64 first (it works everywhere), then the others by name. */
function compareModels(a: string, b: string): number {
  if (a === PORTABLE_CPU_MODEL || b === PORTABLE_CPU_MODEL) return a === PORTABLE_CPU_MODEL ? (b === PORTABLE_CPU_MODEL ? 0 : -1) : 1;
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * The CPU a new VM gets when the user does not choose: with KVM the host's own CPU (the fastest,
 * and what the form always used); with emulation a named model, since TCG cannot pass a CPU through.
 */
export function defaultCpu(offer: AcceleratorCpus): CpuSpec {
  if (offer.hostPassthrough) return { mode: "host-passthrough" };
  if (offer.models.includes(PORTABLE_CPU_MODEL) || offer.models.length === 0) return { mode: "custom", model: PORTABLE_CPU_MODEL };
  return offer.hostModel ? { mode: "host-model" } : { mode: "custom", model: offer.models[0]! };
}

const ACCELERATOR_WORDS: Record<Accelerator, string> = { kvm: "KVM", qemu: "emulation (TCG)" };

/** Why the host cannot run this CPU with this accelerator, in words; null when it can. */
export function cpuRefusal(accelerator: Accelerator, cpu: CpuSpec, offer: AcceleratorCpus): string | null {
  const with_ = `with ${ACCELERATOR_WORDS[accelerator]}`;
  if (cpu.mode === "host-passthrough" && !offer.hostPassthrough)
    return `this host cannot pass its own CPU through to a VM ${with_}; choose host-model or a named model`;
  if (cpu.mode === "host-model" && !offer.hostModel) return `this host cannot give a VM a copy of its CPU model ${with_}; choose a named model`;
  if (cpu.mode === "custom" && !offer.models.includes(cpu.model)) {
    return `this host cannot provide CPU model "${cpu.model}" ${with_}; it can provide ${offer.models.length ? offer.models.join(", ") : "no named model"}`;
  }
  return null;
}

/** Host capabilities for the create form and the server's check, per accelerator the host offers. */
export interface ProcessorOptions {
  accelerators: { accelerator: Accelerator; cpus: AcceleratorCpus; defaultCpu: CpuSpec }[];
  defaultAccelerator: Accelerator;
}

/**
 * The accelerator a new VM gets when the user does not choose: KVMM_DOMAIN_TYPE when set, else KVM
 * when the host offers it, else emulation.
 */
export function defaultAccelerator(setting: "auto" | Accelerator, kvmOffered: boolean): Accelerator {
  if (setting !== "auto") return setting;
  return kvmOffered ? "kvm" : "qemu";
}
