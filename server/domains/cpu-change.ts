import { VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE, flagsOf } from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import { buildOrdered, element, parseOrdered, setAttr, tagOf, type OrderedNode } from "../xml/ordered";
import type { ResolvedVm } from "./lookup";
import { acceleratorCpus } from "./create";
import { ACCELERATORS, cpuRefusal, type Accelerator, type CpuSpec } from "./processor";
import { parseDomainXml } from "./xml";

/** What stays of the old `<cpu>`: the shape of the vCPUs (sockets, cores, NUMA), not what described the model. */
const KEPT_CPU_CHILDREN = new Set(["topology", "numa", "cache"]);

/**
 * The definition with its `<cpu>` replaced by the chosen mode or model, in the same place; every
 * other element is left as libvirt wrote it. A named model is exact and never silently replaced
 * by another (`fallback='forbid'`), as the create form makes it.
 */
export function withCpu(xml: string, cpu: CpuSpec): string {
  const tree = parseOrdered(xml, "domain XML");
  const domain = tree.find((n) => tagOf(n) === "domain");
  if (!domain?.domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  const old = element(domain, "cpu");
  const kept = (old?.cpu ?? []).filter((c) => KEPT_CPU_CHILDREN.has(tagOf(c) ?? ""));
  const next = { cpu: [...modelOf(cpu), ...kept] } as OrderedNode;
  setAttr(next, "mode", cpu.mode);
  if (cpu.mode === "custom") setAttr(next, "match", "exact");
  const children = domain.domain;
  if (old) children.splice(children.indexOf(old), 1, next);
  else children.splice(children.findIndex((c) => tagOf(c) === "vcpu") + 1 || children.length, 0, next);
  return buildOrdered(tree);
}

function modelOf(cpu: CpuSpec): OrderedNode[] {
  if (cpu.mode !== "custom") return [];
  const model = { model: [{ "#text": cpu.model } as OrderedNode] } as OrderedNode;
  setAttr(model, "fallback", "forbid");
  return [model];
}

/**
 * A new processor for the VM, checked against what the host offers its accelerator; saved in the
 * definition, so it applies when the VM next starts (QEMU cannot change a running CPU).
 */
export async function changeCpu(vm: ResolvedVm, cpu: CpuSpec): Promise<{ applies: "nextBoot" }> {
  const { conn, dom } = vm;
  return withLibvirtContext(vm.context, async () => {
    // SECURE keeps what the plain XML hides (a VNC password): the definition must be redefined whole.
    const xml = await conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
    const type = parseDomainXml(xml).domainType;
    const accelerator: Accelerator = (ACCELERATORS as readonly string[]).includes(type) ? (type as Accelerator) : "qemu";
    const refusal = cpuRefusal(accelerator, cpu, await acceleratorCpus(conn, accelerator));
    if (refusal) throw new ServiceError(`${vm.context}: ${refusal}`, "invalid", { field: cpu.mode === "custom" ? "cpuModel" : "cpuMode" });
    await conn.domainDefineXmlFlags({ xml: withCpu(xml, cpu), flags: 0 });
    return { applies: "nextBoot" as const };
  });
}
