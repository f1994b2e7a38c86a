/**
 * The custom server overwrites this header with the TCP peer address on every request,
 * so a client cannot choose the address its login failures and audit rows are counted against.
 */
export const CLIENT_IP_HEADER = "x-kvmm-client-ip";

export function clientIpFromHeaders(headers: Record<string, string | string[] | undefined> | Headers): string {
  const value = headers instanceof Headers ? headers.get(CLIENT_IP_HEADER) : headers[CLIENT_IP_HEADER];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.length > 0 ? first : "unknown";
}
