// IPv4 arithmetic for networks: the server checks configurations with it, the network form
// suggests a DHCP range with it. No imports: client code loads this module.

export interface Ipv4Config {
  /** The host's address on the network (the guests' gateway), e.g. 10.213.1.1. */
  address: string;
  /** Prefix length, e.g. 24. */
  prefix: number;
  /** Range handed out by libvirt's dnsmasq; none: no DHCP. */
  dhcp?: { start: string; end: string };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipv4ToInt(text: string): number {
  if (!isIpv4(text)) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** First and last address (network and broadcast) of the subnet `address/prefix`. */
export function subnetBounds(address: string, prefix: number): { first: number; last: number } {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ipv4ToInt(address) / size) * size;
  return { first, last: first + size - 1 };
}

export function prefixToNetmask(prefix: number): string {
  return intToIpv4(2 ** 32 - 2 ** (32 - prefix));
}

/** Prefix length of a dotted netmask (255.255.255.0 → 24), or null when it is not contiguous. */
export function netmaskToPrefix(netmask: string): number | null {
  const n = ipv4ToInt(netmask);
  for (let prefix = 0; prefix <= 32; prefix++) if (ipv4ToInt(prefixToNetmask(prefix)) === n) return prefix;
  return null;
}

export function subnetsOverlap(a: { address: string; prefix: number }, b: { address: string; prefix: number }): boolean {
  const x = subnetBounds(a.address, a.prefix);
  const y = subnetBounds(b.address, b.prefix);
  return x.first <= y.last && y.first <= x.last;
}

/** What is wrong with an IPv4 configuration, in words; empty when it is usable. */
export function ipv4Problems(ip: Ipv4Config): string[] {
  const problems: string[] = [];
  if (!isIpv4(ip.address)) return [`${JSON.stringify(ip.address)} is not an IPv4 address`];
  if (!Number.isInteger(ip.prefix) || ip.prefix < 8 || ip.prefix > 30) return [`prefix /${ip.prefix} must be 8 to 30`];
  const { first, last } = subnetBounds(ip.address, ip.prefix);
  const host = ipv4ToInt(ip.address);
  if (host === first || host === last) problems.push(`${ip.address} is the network or broadcast address of its /${ip.prefix}`);
  if (ip.dhcp) {
    const { start, end } = ip.dhcp;
    if (!isIpv4(start) || !isIpv4(end)) return [...problems, "the DHCP range needs two IPv4 addresses"];
    const s = ipv4ToInt(start);
    const e = ipv4ToInt(end);
    if (s > e) problems.push(`DHCP range ${start}–${end} is backwards`);
    if (s <= first || e >= last)
      problems.push(`DHCP range ${start}–${end} is not inside ${intToIpv4(first)}/${ip.prefix} (excluding its network and broadcast addresses)`);
    if (s <= host && host <= e) problems.push(`DHCP range ${start}–${end} contains the host's own address ${ip.address}`);
  }
  return problems;
}

/**
 * The largest run of addresses in `address/prefix` that leaves out the network and broadcast
 * addresses and the host's own address; null when the input is not a usable subnet.
 */
export function suggestDhcpRange(address: string, prefix: number): { start: string; end: string } | null {
  if (!isIpv4(address) || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return null;
  const size = 2 ** (32 - prefix);
  const host = ipv4ToInt(address);
  const first = Math.floor(host / size) * size;
  const last = first + size - 1;
  if (host === first || host === last) return null;
  const below = host - first - 1;
  const above = last - host - 1;
  if (below <= 0 && above <= 0) return null;
  return above >= below ? { start: intToIpv4(host + 1), end: intToIpv4(last - 1) } : { start: intToIpv4(first + 1), end: intToIpv4(host - 1) };
}
