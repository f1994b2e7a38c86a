/**
 * The little IPv4 arithmetic the network form needs to suggest a DHCP range. The server checks
 * every configuration itself (server/networks/xml.ts), so this only proposes, never decides.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

function toInt(text: string): number {
  return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * The largest run of addresses in `address/prefix` that leaves out the network and broadcast
 * addresses and the host's own address; null when the input is not a usable subnet.
 */
export function suggestDhcpRange(address: string, prefix: number): { start: string; end: string } | null {
  if (!isIpv4(address) || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return null;
  const size = 2 ** (32 - prefix);
  const host = toInt(address);
  const first = Math.floor(host / size) * size;
  const last = first + size - 1;
  if (host === first || host === last) return null;
  const below = host - first - 1;
  const above = last - host - 1;
  if (below <= 0 && above <= 0) return null;
  return above >= below ? { start: fromInt(host + 1), end: fromInt(last - 1) } : { start: fromInt(first + 1), end: fromInt(host - 1) };
}
