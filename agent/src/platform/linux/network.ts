import { readdir } from "../../fs-async";
import os from "node:os";
import type { NetworkInfo } from "../../../protocol/index";
import { readText } from "./read";

type Interface = NetworkInfo["interfaces"][number];
type Address = Interface["addresses"][number];

const IFF_UP = 0x1;
const NO_MAC = "00:00:00:00:00:00";

export async function linuxNetworkInfo(): Promise<NetworkInfo> {
  const names = (await readdir("/sys/class/net").catch(() => [] as string[])).sort();
  const addresses = addressesByInterface(os.networkInterfaces());
  const interfaces = await Promise.all(names.map((name) => readInterface(name, addresses.get(name) ?? [])));
  return { interfaces };
}

async function readInterface(name: string, addresses: Address[]): Promise<Interface> {
  const base = `/sys/class/net/${name}`;
  const [mac, operstate, flags, mtu, counters] = await Promise.all([
    readText(`${base}/address`),
    readText(`${base}/operstate`),
    readText(`${base}/flags`),
    readText(`${base}/mtu`),
    readCounters(`${base}/statistics`),
  ]);
  const macText = mac?.trim() ?? "";
  return {
    name,
    mac: macText === "" || macText === NO_MAC ? null : macText,
    up: (Number.parseInt(flags?.trim() ?? "0", 16) & IFF_UP) !== 0,
    oper_state: operstate?.trim() || "unknown",
    mtu: mtu ? Number(mtu.trim()) : null,
    addresses,
    ...counters,
  };
}

async function readCounters(dir: string) {
  const read = async (counter: string) => Number((await readText(`${dir}/${counter}`))?.trim() ?? 0) || 0;
  const [rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors] = await Promise.all(
    ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors"].map(read),
  );
  return { rx_bytes: rx_bytes!, tx_bytes: tx_bytes!, rx_packets: rx_packets!, tx_packets: tx_packets!, rx_errors: rx_errors!, tx_errors: tx_errors! };
}

/** Node 18.0–18.3 reported the family as a number; later versions as 'IPv4'/'IPv6'. */
export function addressesByInterface(table: NodeJS.Dict<os.NetworkInterfaceInfo[]>): Map<string, Address[]> {
  const result = new Map<string, Address[]>();
  for (const [name, infos] of Object.entries(table)) {
    const list = (infos ?? []).map((info): Address => {
      const family = String(info.family) === "6" || info.family === "IPv6" ? "ipv6" : "ipv4";
      const prefix = Number(info.cidr?.split("/")[1] ?? (family === "ipv4" ? 32 : 128));
      return { family, address: info.address, prefix };
    });
    result.set(name, list);
  }
  return result;
}
