// Calls that must compile, and (marked @ts-expect-error) calls that must not
// because a flag comes from another call's enum. flags.test.ts compiles this
// file with the markers removed and checks that exactly the marked lines fail;
// the repository's tsc checks it as it is.
import { flagsOf } from "../flags";
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_REBOOT_ACPI_POWER_BTN,
  VIR_DOMAIN_REBOOT_DEFAULT,
  VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
  VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
} from "../generated/constants";
import type { LibvirtProcedures } from "../generated/procedures";
import type { NonnullDomain } from "../generated/protocol";

export async function flagCalls(conn: LibvirtProcedures<unknown>, dom: NonnullDomain, live: boolean): Promise<void> {
  await conn.domainReboot({ dom, flags: VIR_DOMAIN_REBOOT_ACPI_POWER_BTN });
  // @ts-expect-error a shutdown flag is not a reboot flag, though both are 1
  await conn.domainReboot({ dom, flags: VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN });
  await conn.domainShutdownFlags({ dom, flags: VIR_DOMAIN_SHUTDOWN_GUEST_AGENT });
  // @ts-expect-error nor a reboot flag a shutdown flag
  await conn.domainShutdownFlags({ dom, flags: VIR_DOMAIN_REBOOT_ACPI_POWER_BTN });
  // @ts-expect-error a bare number does not say which enum it is from
  await conn.domainReboot({ dom, flags: 1 });

  // 0 is always accepted, also from a condition.
  await conn.domainReboot({ dom, flags: 0 });
  await conn.domainGetXmlDesc({ dom, flags: live ? 0 : VIR_DOMAIN_XML_INACTIVE });

  // flagsOf keeps the enum; `|` makes a plain number.
  await conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
  await conn.domainSnapshotCreateXml({ dom, xmlDesc: "", flags: flagsOf(VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY, VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC) });
  // @ts-expect-error `|` loses the enum
  await conn.domainSnapshotCreateXml({ dom, xmlDesc: "", flags: VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC });
  // @ts-expect-error flagsOf of two enums is accepted only where both are
  await conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_AFFECT_CONFIG) });

  // virDomainVcpuFlags restates all of virDomainModificationImpact, so VIR_DOMAIN_AFFECT_* are vCPU flags too.
  await conn.domainSetVcpusFlags({ dom, nvcpus: 2, flags: flagsOf(VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_VCPU_MAXIMUM) });
  await conn.domainAttachDeviceFlags({ dom, xml: "", flags: flagsOf(live ? VIR_DOMAIN_AFFECT_LIVE : 0, VIR_DOMAIN_AFFECT_CONFIG) });
  // @ts-expect-error but they are not XML flags
  await conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_AFFECT_CONFIG });

  // Where libvirt takes no flags yet ("not used yet, so callers should always pass 0") only 0 is accepted.
  await conn.domainReset({ dom, flags: 0 });
  // @ts-expect-error even a flag whose value is 0
  await conn.domainReset({ dom, flags: VIR_DOMAIN_REBOOT_DEFAULT });

  // Besides `flags`, the parameters libvirt documents as an OR of an enum.
  await conn.connectGetAllDomainStats({ doms: [], stats: flagsOf(VIR_DOMAIN_STATS_STATE, VIR_DOMAIN_STATS_BALLOON), flags: 0 });
  // @ts-expect-error stats types are not stats flags
  await conn.connectGetAllDomainStats({ doms: [], stats: 0, flags: VIR_DOMAIN_STATS_STATE });
}
