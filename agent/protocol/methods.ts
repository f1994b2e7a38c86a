import type * as z from "zod/mini";
import { agentInfoParams, agentInfoResult, pingParams, pingResult, syncParams, syncResult } from "./schemas/core";
import { execParams, execResult } from "./schemas/exec";
import {
  fileListParams,
  fileListResult,
  fileReadParams,
  fileReadResult,
  fileRemoveParams,
  fileRemoveResult,
  fileRenameParams,
  fileRenameResult,
  fileStatParams,
  fileStatResult,
  fileWriteParams,
  fileWriteResult,
} from "./schemas/files";
import { onlineHotpluggedParams, onlineHotpluggedResult, setUserPasswordParams, setUserPasswordResult, syncTimeParams, syncTimeResult } from "./schemas/admin";
import { fsFreezeParams, fsFreezeResult, fsFreezeStatusParams, fsFreezeStatusResult, fsThawParams, fsThawResult } from "./schemas/freeze";
import { powerParams, powerResult } from "./schemas/power";
import {
  agentUpdateAbortParams,
  agentUpdateAbortResult,
  agentUpdateBeginParams,
  agentUpdateBeginResult,
  agentUpdateChunkParams,
  agentUpdateChunkResult,
  agentUpdateCommitParams,
  agentUpdateCommitResult,
} from "./schemas/update";
import { listPackagesParams, listPackagesResult, listServicesParams, listServicesResult, serviceActionParams, serviceActionResult } from "./schemas/services";
import {
  diskUsageParams,
  diskUsageResult,
  listProcessesParams,
  listProcessesResult,
  metricsParams,
  metricsResult,
  networkInfoParams,
  networkInfoResult,
  systemInfoParams,
  systemInfoResult,
  usersParams,
  usersResult,
} from "./schemas/system";
import { exampleAgentInfo, exampleMetrics } from "./examples";

/**
 * A feature the agent announces in `get_agent_info.capabilities`. A method whose
 * capability is absent answers PermissionDenied (disabled in config) or MethodNotFound
 * (an older agent that never had it).
 */
export const capabilities = [
  "core",
  "system.info",
  "network.info",
  "disk.usage",
  "metrics",
  "processes",
  "users",
  "exec",
  "file.read",
  "file.write",
  /** file_rename and file_remove; switched with file.write (file_write_enabled). */
  "file.manage",
  "power",
  /** fs_freeze, fs_thaw, fs_freeze_status: announced on Linux only (Windows would need VSS). */
  "fs.freeze",
  "telemetry",
  /** `telemetry` carries `filesystems`; listed with `telemetry`. */
  "telemetry.filesystems",
  // Password and clock (issue 15 item 4).
  /** set_user_password: off by default (set_user_password_enabled), it hands the console to whoever may call it. */
  "user.password",
  /** sync_time: on by default (sync_time_enabled); announced on Linux only. */
  "time.sync",
  // Services and packages (issue 15): announced on Linux only; each has its own config switch.
  /** list_services (services_enabled, on by default). */
  "services",
  /** service_action (service_action_enabled, off by default: it can stop sshd or the network). */
  "services.manage",
  /** list_packages (packages_enabled, on by default). */
  "packages",
  /** agent_update_*: self-update with a bundle signed by the host's key (self_update_enabled, on by default: only the key's holder can push). */
  "update",
  /** online_hotplugged (online_hotplugged_enabled, on by default: it only onlines what the host added); Linux only. */
  "hotplug.online",
] as const;
export type Capability = (typeof capabilities)[number];

export interface MethodSpec<P extends z.ZodMiniType = z.ZodMiniType, R extends z.ZodMiniType = z.ZodMiniType> {
  params: P;
  result: R;
  capability: Capability;
  summary: string;
  example: { params: z.input<P>; result: z.output<R> };
}

function method<P extends z.ZodMiniType, R extends z.ZodMiniType>(spec: MethodSpec<P, R>): MethodSpec<P, R> {
  return spec;
}

/** The single source of truth: the agent dispatches from it, the host client types from it, PROTOCOL.md is generated from it. */
export const methods = {
  ping: method({
    params: pingParams,
    result: pingResult,
    capability: "core",
    summary: "Liveness check.",
    example: { params: {}, result: { pong: true, time: "2025-01-01T12:00:00.000Z" } },
  }),
  sync: method({
    params: syncParams,
    result: syncResult,
    capability: "core",
    summary:
      "Handshake: returns the id it was given. The host discards every line before this answer; the agent ignores every other request (no answer, no error) until it has answered a `sync` after starting or after a host (re)connected.",
    example: { params: { id: "c1f0a7d2e9b34c55" }, result: { id: "c1f0a7d2e9b34c55" } },
  }),
  get_agent_info: method({
    params: agentInfoParams,
    result: agentInfoResult,
    capability: "core",
    summary: "Agent version, protocol version, capability list and platform.",
    example: { params: {}, result: exampleAgentInfo },
  }),
  get_system_info: method({
    params: systemInfoParams,
    result: systemInfoResult,
    capability: "system.info",
    summary: "OS (from os-release), kernel, hostname, uptime, boot time, timezone, CPU and memory.",
    example: {
      params: {},
      result: {
        hostname: "web-1",
        os: {
          id: "debian",
          name: "Debian GNU/Linux",
          version: "12 (bookworm)",
          version_id: "12",
          pretty_name: "Debian GNU/Linux 12 (bookworm)",
        },
        kernel: { name: "Linux", release: "6.1.0-28-amd64", version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1" },
        arch: "x64",
        uptime_s: 3600.5,
        boot_time: "2025-01-01T11:00:00.000Z",
        timezone: "Europe/Berlin",
        cpu: { model: "QEMU Virtual CPU version 2.5+", count: 2 },
        memory: { total_bytes: 2084343808, available_bytes: 1610612736 },
      },
    },
  }),
  get_network_info: method({
    params: networkInfoParams,
    result: networkInfoResult,
    capability: "network.info",
    summary: "Interfaces with MAC, addresses and prefixes, link state and traffic counters.",
    example: {
      params: {},
      result: {
        interfaces: [
          {
            name: "eth0",
            mac: "52:54:00:12:34:56",
            up: true,
            oper_state: "up",
            mtu: 1500,
            addresses: [
              { family: "ipv4", address: "192.168.122.10", prefix: 24 },
              { family: "ipv6", address: "fe80::5054:ff:fe12:3456", prefix: 64 },
            ],
            rx_bytes: 1048576,
            tx_bytes: 524288,
            rx_packets: 900,
            tx_packets: 700,
            rx_errors: 0,
            tx_errors: 0,
          },
        ],
      },
    },
  }),
  get_disk_usage: method({
    params: diskUsageParams,
    result: diskUsageResult,
    capability: "disk.usage",
    summary:
      "Mounted filesystems with space and inode usage: the guest's, as its init mounts them (Linux: /proc/1/mounts where the agent runs in a mount namespace of its own, as under the packaged unit's sandbox).",
    example: {
      params: {},
      result: {
        filesystems: [
          {
            device: "/dev/vda1",
            mountpoint: "/",
            fstype: "ext4",
            read_only: false,
            total_bytes: 21474836480,
            used_bytes: 5368709120,
            free_bytes: 16106127360,
            available_bytes: 15032385536,
            inodes_total: 1310720,
            inodes_used: 120000,
            inodes_free: 1190720,
          },
        ],
      },
    },
  }),
  get_metrics: method({
    params: metricsParams,
    result: metricsResult,
    capability: "metrics",
    summary: "CPU percentage and disk/network rates since the previous sample, load, memory and swap.",
    example: { params: {}, result: exampleMetrics },
  }),
  list_processes: method({
    params: listProcessesParams,
    result: listProcessesResult,
    capability: "processes",
    summary: "Processes with user, command line, CPU percentage and resident memory.",
    example: {
      params: { sort_by: "memory", limit: 1 },
      result: {
        total: 87,
        processes: [
          {
            pid: 512,
            ppid: 1,
            user: "postgres",
            name: "postgres",
            command: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main",
            state: "S",
            cpu_percent: 1.5,
            rss_bytes: 73400320,
            threads: 1,
            started_at: "2025-01-01T11:00:05.000Z",
          },
        ],
      },
    },
  }),
  get_users: method({
    params: usersParams,
    result: usersResult,
    capability: "users",
    summary: "Logged-in sessions (utmp on Linux).",
    example: {
      params: {},
      result: {
        sessions: [{ user: "alice", terminal: "pts/0", host: "192.168.122.1", login_time: "2025-01-01T11:30:00.000Z", pid: 1234 }],
      },
    },
  }),
  exec_command: method({
    params: execParams,
    result: execResult,
    capability: "exec",
    summary: "Runs a program without a shell in its own process group; the timeout kills the whole group; output is capped.",
    example: {
      params: { command: "uname", args: ["-r"], timeout_ms: 5000 },
      result: {
        pid: 4321,
        exit_code: 0,
        signal: null,
        stdout: "6.1.0-28-amd64\n",
        stderr: "",
        encoding: "utf8",
        timed_out: false,
        truncated: false,
        duration_ms: 3.2,
      },
    },
  }),
  file_stat: method({
    params: fileStatParams,
    result: fileStatResult,
    capability: "file.read",
    summary: "Type, size, mode, owner and mtime of a path; optionally the SHA-256 of the whole file.",
    example: {
      params: { path: "/tmp/report.txt", sha256: true },
      result: {
        path: "/tmp/report.txt",
        type: "file",
        size: 5,
        mode: 420,
        uid: 0,
        gid: 0,
        mtime: "2025-01-01T12:00:00.000Z",
        sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
      },
    },
  }),
  file_list: method({
    params: fileListParams,
    result: fileListResult,
    capability: "file.read",
    summary: "Directory entries (symlinks are listed, not followed).",
    example: {
      params: { path: "/tmp" },
      result: {
        path: "/tmp",
        entries: [{ name: "report.txt", type: "file", size: 5, mode: 420, mtime: "2025-01-01T12:00:00.000Z" }],
        truncated: false,
      },
    },
  }),
  file_read: method({
    params: fileReadParams,
    result: fileReadResult,
    capability: "file.read",
    summary: "One chunk of a file, base64-encoded. Read large files in a loop until `eof`.",
    example: {
      params: { path: "/tmp/report.txt", offset: 0, length: 65536 },
      result: { content_base64: "aGVsbG8=", length: 5, eof: true, size: 5 },
    },
  }),
  file_write: method({
    params: fileWriteParams,
    result: fileWriteResult,
    capability: "file.write",
    summary: "Without offset: replaces the file atomically (temp file + rename). With offset: writes in place, for chunked uploads.",
    example: {
      params: { path: "/tmp/report.txt", content_base64: "aGVsbG8=", mode: 420 },
      result: { path: "/tmp/report.txt", bytes_written: 5, size: 5 },
    },
  }),
  file_rename: method({
    params: fileRenameParams,
    result: fileRenameResult,
    capability: "file.manage",
    summary:
      "Renames within the allowed paths, replacing an existing file at `to` atomically: an upload written to a temporary name beside its target appears complete or not at all.",
    example: {
      params: { from: "/tmp/.report.txt.kvmm-upload-3f9a1c", to: "/tmp/report.txt" },
      result: { from: "/tmp/.report.txt.kvmm-upload-3f9a1c", to: "/tmp/report.txt" },
    },
  }),
  file_remove: method({
    params: fileRemoveParams,
    result: fileRemoveResult,
    capability: "file.manage",
    summary: "Removes a file or a symlink (not what it points to); refuses directories.",
    example: { params: { path: "/tmp/.report.txt.kvmm-upload-3f9a1c" }, result: { path: "/tmp/.report.txt.kvmm-upload-3f9a1c" } },
  }),
  shutdown: method({
    params: powerParams,
    result: powerResult,
    capability: "power",
    summary: "Powers the guest off. The agent answers first, then acts.",
    example: { params: {}, result: { accepted: true, method: "systemd" } },
  }),
  reboot: method({
    params: powerParams,
    result: powerResult,
    capability: "power",
    summary: "Reboots the guest. The agent answers first, then acts.",
    example: { params: { force: true }, result: { accepted: true, method: "systemd" } },
  }),
  fs_freeze: method({
    params: fsFreezeParams,
    result: fsFreezeResult,
    capability: "fs.freeze",
    summary:
      "Linux: freezes every writable filesystem on a block device of the guest's system (the mounts get_disk_usage reads; FIFREEZE through `fsfreeze --freeze`; pseudo, read-only and network filesystems are skipped) in reverse mount order, so the host can take a consistent copy. If any mount fails, the ones already frozen are thawed again and the answer is IoError. The agent thaws by itself after `timeout_s` without an `fs_thaw`, and when it stops. While frozen, a second `fs_freeze` answers Conflict. Windows: Unsupported (no VSS).",
    example: {
      params: { timeout_s: 60 },
      result: { frozen: ["/srv/data", "/"], frozen_at: "2025-01-01T12:00:00.000Z", auto_thaw_at: "2025-01-01T12:01:00.000Z" },
    },
  }),
  fs_thaw: method({
    params: fsThawParams,
    result: fsThawResult,
    capability: "fs.freeze",
    summary: "Thaws what `fs_freeze` froze, in mount order. Idempotent: with nothing frozen it answers an empty `thawed`.",
    example: { params: {}, result: { thawed: ["/", "/srv/data"], failed: [], auto_thawed_at: null } },
  }),
  fs_freeze_status: method({
    params: fsFreezeStatusParams,
    result: fsFreezeStatusResult,
    capability: "fs.freeze",
    summary: "Whether filesystems are frozen now, which, and when the automatic thaw comes (or came).",
    example: {
      params: {},
      result: {
        frozen: true,
        mounts: ["/srv/data", "/"],
        frozen_at: "2025-01-01T12:00:00.000Z",
        auto_thaw_at: "2025-01-01T12:01:00.000Z",
        auto_thawed_at: null,
      },
    },
  }),
  // Password and clock (issue 15 item 4).
  set_user_password: method({
    params: setUserPasswordParams,
    result: setUserPasswordResult,
    capability: "user.password",
    summary:
      "Linux: sets an existing account's password through `chpasswd` (`-e` with `crypted`), which hashes it in the guest with the system's method. The line `user:password` goes to chpasswd's stdin (no shell, no argv), and the password is never logged: the audit record names the user only. An account `getent passwd` does not know answers NotFound. Windows: Unsupported.",
    example: { params: { username: "deploy", password: "correct horse battery staple" }, result: { username: "deploy", crypted: false } },
  }),
  sync_time: method({
    params: syncTimeParams,
    result: syncTimeResult,
    capability: "time.sync",
    summary:
      "Linux: sets the guest clock to the host's time (`date -u -s @<seconds.fraction>`, i.e. clock_settime), advanced by the time the request spent in the agent, and answers the correction. The host sends it after a resume or a snapshot revert (a paused guest's clock stands still), like qemu-ga's guest-set-time. Windows: Unsupported.",
    example: { params: { time_ms: 1735732800000 }, result: { offset_ms: 3600012, method: "date" } },
  }),
  // Self-update (issue 15 item 5): begin → chunk… → commit, or abort.
  agent_update_begin: method({
    params: agentUpdateBeginParams,
    result: agentUpdateBeginResult,
    capability: "update",
    summary:
      "Starts an upload of a new agent bundle. The signature (Ed25519 over `signedUpdateMessage`: name, version, size, SHA-256) must verify with the public key the package installed (/usr/lib/kvmmanager-agent/update-key.pem) before any byte is accepted: PermissionDenied otherwise, and Unsupported when the package has no key. One upload at a time (Conflict while another is open); an upload left without a chunk for 60 s is dropped.",
    example: {
      params: {
        version: "0.2.0",
        size: 843167,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        signature: "c2lnbmF0dXJlIG9mIDY0IGJ5dGVzIGdvZXMgaGVyZSwgYmFzZTY0IGVuY29kZWQgLi4uLi4uLi4uLg==",
      },
      result: { update_id: "u-3f9a1c", chunk_max_bytes: 1048576 },
    },
  }),
  agent_update_chunk: method({
    params: agentUpdateChunkParams,
    result: agentUpdateChunkResult,
    capability: "update",
    summary:
      "Appends bytes to the upload. `offset` must equal the bytes received so far (Conflict otherwise); more than the announced size is TooLarge. The bytes go to a file under the agent's state directory, never into the running bundle.",
    example: { params: { update_id: "u-3f9a1c", offset: 0, data: "IyEvdXNyL2Jpbi9lbnYgbm9kZQo=" }, result: { received: 20 } },
  }),
  agent_update_commit: method({
    params: agentUpdateCommitParams,
    result: agentUpdateCommitResult,
    capability: "update",
    summary:
      "Checks the upload's size and SHA-256 against the signed manifest (InvalidParams and the upload dropped when they differ), makes it the bundle the launcher starts — on trial — with one atomic rename, answers, and exits so that its service manager starts the launcher again. The new bundle must answer the host's `sync` within 30 s; if it exits or stays silent, the launcher goes back to the previous bundle and get_agent_info's `update` says why.",
    example: { params: { update_id: "u-3f9a1c" }, result: { version: "0.2.0", previous_version: "0.1.0", restart_in_ms: 200 } },
  }),
  agent_update_abort: method({
    params: agentUpdateAbortParams,
    result: agentUpdateAbortResult,
    capability: "update",
    summary: "Drops an open upload and its bytes. NotFound when there is no such upload.",
    example: { params: { update_id: "u-3f9a1c" }, result: { aborted: true } },
  }),
  // Services and packages (issue 15).
  list_services: method({
    params: listServicesParams,
    result: listServicesResult,
    capability: "services",
    summary:
      "Linux: the service units systemd knows (loaded ones from `systemctl list-units --all`, the rest from `systemctl list-unit-files`, which gives the enabled state), or OpenRC's init scripts (`rc-status --servicelist`, `rc-update show --verbose`), by name. Unsupported without either, and on Windows.",
    example: {
      params: { limit: 2 },
      result: {
        init_system: "systemd",
        services: [
          {
            name: "cron.service",
            description: "Regular background program processing daemon",
            active_state: "active",
            sub_state: "running",
            enabled_state: "enabled",
          },
          {
            name: "kvmmanager-agent.service",
            description: "KVM Manager guest agent",
            active_state: "active",
            sub_state: "running",
            enabled_state: "disabled",
          },
        ],
        truncated: true,
      },
    },
  }),
  service_action: method({
    params: serviceActionParams,
    result: serviceActionResult,
    capability: "services.manage",
    summary:
      "Starts, stops, restarts, enables or disables one service (`systemctl <action> -- <unit>`, waiting for the job; OpenRC: `rc-service`, `rc-update add <name> default`, `rc-update --all del <name>`) and answers its state afterwards. NotFound for an unknown service; IoError with the tool's message when it fails; Timeout after `timeout_ms`. Off unless `service_action_enabled` is true.",
    example: {
      params: { name: "cron", action: "stop" },
      result: {
        init_system: "systemd",
        action: "stop",
        service: {
          name: "cron.service",
          description: "Regular background program processing daemon",
          active_state: "inactive",
          sub_state: "dead",
          enabled_state: "enabled",
        },
      },
    },
  }),
  list_packages: method({
    params: listPackagesParams,
    result: listPackagesResult,
    capability: "packages",
    summary:
      "Installed packages by name, from the first package database found: `dpkg-query -W`, else `rpm -qa`, else `apk info -v`. Unsupported without any, and on Windows.",
    example: {
      params: { limit: 1 },
      result: { manager: "dpkg", packages: [{ name: "kvmmanager-agent", version: "0.1.0", arch: "all" }], truncated: true },
    },
  }),
  online_hotplugged: method({
    params: onlineHotpluggedParams,
    result: onlineHotpluggedResult,
    capability: "hotplug.online",
    summary:
      "Linux: brings hot-plugged vCPUs and memory online: writes 1 to `/sys/devices/system/cpu/cpuN/online` and `/sys/devices/system/memory/memoryN/online` of every one that is offline (many distributions ship no udev rule that does), and answers what it onlined and how many are online now. The host calls it after a live vCPU or memory change. Windows: Unsupported (Windows onlines hot-added CPUs and memory itself).",
    example: {
      params: {},
      result: { cpus_onlined: [2], memory_onlined: [], failed: [], cpus_online: 3, memory_blocks_online: 8, memory_block_bytes: 134217728 },
    },
  }),
} as const;

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = z.input<(typeof methods)[M]["params"]>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]["result"]>;

export const methodNames = Object.keys(methods) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
