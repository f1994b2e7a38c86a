import type { Db } from "../db/client";
import { hostConnection, withContext } from "./connection";
import { formatLibvirtVersion } from "../libvirt";
import { child, parseXml, textOf } from "../xml/codec";

export interface HostInfo {
  hostname: string;
  libvirtVersion: string;
  hypervisor: string;
  hypervisorVersion: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  mhz: number;
  sockets: number;
  cores: number;
  threads: number;
  memoryBytes: number;
  memoryFreeBytes: number;
  activeDomains: number;
  inactiveDomains: number;
}

/** The host CPU's model name as libvirt's capabilities report it (nodeGetInfo only gives the architecture). */
export function cpuModelFromCapabilities(xml: string): string | null {
  const cpu = child(child(child(parseXml(xml, "host capabilities"), "capabilities"), "host"), "cpu");
  return textOf(cpu?.model) ?? null;
}

export async function readHostInfo(db: Db, hostId: string): Promise<HostInfo> {
  const { host, conn } = hostConnection(db, hostId);
  return withContext(`host "${host.id}" (${host.uri})`, async () => {
    const [hostname, libVersion, hvType, hvVersion, node, free, active, inactive, caps] = await Promise.all([
      conn.connectGetHostname(),
      conn.connectGetLibVersion(),
      conn.connectGetType(),
      conn.connectGetVersion(),
      conn.nodeGetInfo(),
      conn.nodeGetFreeMemory(),
      conn.connectNumOfDomains(),
      conn.connectNumOfDefinedDomains(),
      conn.connectGetCapabilities(),
    ]);
    return {
      hostname,
      libvirtVersion: formatLibvirtVersion(libVersion),
      hypervisor: hvType,
      hypervisorVersion: formatLibvirtVersion(hvVersion),
      arch: node.model,
      cpuModel: cpuModelFromCapabilities(caps) ?? node.model,
      cpus: node.cpus,
      mhz: node.mhz,
      sockets: node.sockets,
      cores: node.cores,
      threads: node.threads,
      memoryBytes: Number(node.memory) * 1024,
      memoryFreeBytes: Number(free),
      activeDomains: active,
      inactiveDomains: inactive,
    };
  });
}
