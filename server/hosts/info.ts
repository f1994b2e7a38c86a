import type { Db } from "../db/client";
import { getHost } from "./service";

export interface HostInfo {
  hostname: string;
  libvirtVersion: string;
  hypervisor: string;
  hypervisorVersion: string;
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

export async function readHostInfo(db: Db, hostId: string): Promise<HostInfo> {
  const host = getHost(db, hostId);
  throw new Error(`host info for ${host.id} needs the libvirt client`);
}
