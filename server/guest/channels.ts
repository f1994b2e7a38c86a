import { AGENT_CHANNEL, QGA_CHANNEL, type ChannelInfo } from "../domains/xml";
import { parseLibvirtUri } from "../libvirt";

/** The two guest-agent channels of a VM, from its (live) domain XML; null when absent. */
export interface GuestChannels {
  agent: ChannelInfo | null;
  qga: ChannelInfo | null;
}

export function guestChannels(channels: readonly ChannelInfo[]): GuestChannels {
  const find = (name: string) => channels.find((c) => c.name === name) ?? null;
  return { agent: find(AGENT_CHANNEL), qga: find(QGA_CHANNEL) };
}

/**
 * How the hub reaches a VM's agent channel:
 * - `socket`: connect to the unix socket libvirt binds for the channel (path from the live XML).
 *   Only on the machine libvirtd runs on. Preferred: libvirt allows one open-channel stream per
 *   channel, and a stream costs a trip through libvirtd for every chunk.
 * - `stream`: virDomainOpenChannel, a data stream through the libvirt connection. Works for remote hosts.
 * `auto` picks `socket` for local URIs, `stream` for the rest.
 */
export type ChannelMode = "auto" | "socket" | "stream";

/** A URI whose libvirtd runs on this machine: unix transport and no host name. */
export function isLocalUri(uri: string): boolean {
  try {
    const parsed = parseLibvirtUri(uri);
    return parsed.transport === "unix" && !parsed.host;
  } catch {
    return false;
  }
}

export function channelTransport(uri: string, mode: ChannelMode, channel: Pick<ChannelInfo, "type" | "path">): "socket" | "stream" {
  if (mode !== "auto") return mode;
  return isLocalUri(uri) && channel.type === "unix" && channel.path ? "socket" : "stream";
}
