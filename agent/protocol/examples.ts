import type { AgentInfo } from "./schemas/core";
import type { Metrics, Telemetry } from "./schemas/system";

/** Examples shared by a method and a notification; tests check them against the schemas. */
export const exampleAgentInfo: AgentInfo = {
  name: "kvmmanager-agent",
  version: "0.1.0",
  protocol_version: 1,
  capabilities: [
    "core",
    "system.info",
    "network.info",
    "disk.usage",
    "metrics",
    "processes",
    "users",
    "file.read",
    "file.write",
    "file.manage",
    "power",
    "fs.freeze",
    "telemetry",
    "telemetry.filesystems",
  ],
  platform: { os: "linux", arch: "x64", hostname: "web-1", node_version: "v18.19.0" },
  limits: {
    max_request_bytes: 16777216,
    max_file_chunk_bytes: 4194304,
    exec_output_max_bytes: 1048576,
    exec_max_timeout_ms: 600000,
  },
  allowed_paths: ["/tmp", "/var/tmp", "/var/log", "/home", "/srv"],
  pid: 412,
  started_at: "2025-01-01T11:00:07.000Z",
};

export const exampleMetrics: Metrics = {
  timestamp: "2025-01-01T12:00:00.000Z",
  interval_ms: 10000,
  cpu: { percent: 12.5, count: 2 },
  load: { one: 0.42, five: 0.3, fifteen: 0.25 },
  memory: {
    total_bytes: 2084343808,
    available_bytes: 1610612736,
    used_bytes: 473731072,
    free_bytes: 1073741824,
    buffers_bytes: 67108864,
    cached_bytes: 469762048,
    swap_total_bytes: 0,
    swap_used_bytes: 0,
  },
  disks: [{ device: "vda", read_bytes_per_s: 0, write_bytes_per_s: 40960, reads_per_s: 0, writes_per_s: 2.5 }],
  network: [{ interface: "eth0", rx_bytes_per_s: 1200, tx_bytes_per_s: 800 }],
};

export const exampleTelemetry: Telemetry = {
  ...exampleMetrics,
  filesystems: [
    { mount: "/", total_bytes: 21474836480, used_bytes: 5368709120, used_percent: 26.3 },
    { mount: "/boot", total_bytes: 535805952, used_bytes: 104857600, used_percent: 19.6 },
  ],
};
