/**
 * How large anything the agent sends may be. A guest is an untrusted peer (DESIGN §5a): the host
 * refuses a result or notification with a longer list or string than these, before it is
 * stored, audited or shown. The agent cuts what a real system can exceed (300 mounts, a
 * 100 KiB command line) and sets `truncated`, so that its answers stay valid. PROTOCOL.md shows
 * each field's bound; the schemas in `schemas/` apply them.
 */

/** String lengths, in UTF-16 code units (what JavaScript's `length` and zod's `max` count). */
export const TEXT_MAX = {
  /** Identifiers and short values: versions, states, file system types, MAC and IP addresses, signal names. */
  token: 64,
  /** The DNS limit for a host name. */
  hostname: 253,
  /** Interface, device, user and process names; os-release fields; the CPU model. */
  name: 256,
  /** One directory entry: NAME_MAX is 255 bytes on Linux; the rest is room for file systems that count otherwise. */
  fileName: 1024,
  /** A path (Linux PATH_MAX); also a mount source such as `server:/export`. */
  path: 4096,
  /** A command line (the agent keeps its first 4 KiB) and an error message (the host keeps its first 4 KiB). */
  text: 4096,
} as const;

/** List lengths. */
export const LIST_MAX = {
  capabilities: 64,
  /** get_network_info: room for a container host's veth pairs. */
  interfaces: 256,
  addressesPerInterface: 64,
  /** get_disk_usage. */
  filesystems: 256,
  /** get_metrics and telemetry, which every open browser receives: kept small. */
  metricDisks: 64,
  metricInterfaces: 64,
  /** telemetry's `filesystems`: the fullest ones, for alerts and charts. */
  telemetryFilesystems: 32,
  /** list_processes: its own `limit` param goes no higher. */
  processes: 10_000,
  /** get_users. */
  sessions: 1_000,
  /** file_list: its own `limit` param goes no higher. */
  fileEntries: 100_000,
  /** fs_freeze, fs_thaw, fs_freeze_status: mount points. */
  freezeMounts: 256,
  /** get_agent_info's allowed_paths. */
  allowedPaths: 64,
  /** list_services: a busy systemd host has ~400 service units; its own `limit` param goes no higher. */
  services: 4_096,
  /** list_packages: a full desktop install has ~5,000; its own `limit` param goes no higher. */
  packages: 20_000,
} as const;

const MiB = 1024 * 1024;

/** The highest `exec_output_max_bytes` an agent config may set (per stream). */
export const MAX_EXEC_OUTPUT_BYTES = 4 * MiB;
/** The highest `max_file_chunk_bytes` an agent config may set. */
export const MAX_FILE_CHUNK_BYTES = 8 * MiB;

/** Characters of base64 that `bytes` bytes encode to. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** The first `max` code units of `text`, never ending in half a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
