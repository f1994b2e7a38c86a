import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { methods } from "../../../protocol/methods";
import { notifications } from "../../../protocol/notifications";
import {
  parseDiskUsage,
  parseMetrics,
  parseNetworkInfo,
  parseProcesses,
  parseQuser,
  parseSystemInfo,
  parseTelemetry,
  parseWindowsDate,
  type MetricsSample,
  type NetworkSample,
  type ProcessSample,
  type SystemSample,
  type TelemetrySample,
} from "./parse";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, name), "utf8"));

describe("Windows output parsers (on hand-written samples)", () => {
  it("dates in every shape PowerShell and CIM print them", () => {
    const expected = "2025-01-01T11:00:00.000Z";
    assert.equal(parseWindowsDate("/Date(1735729200000)/")?.toISOString(), expected);
    assert.equal(parseWindowsDate({ value: "/Date(1735729200000)/", DisplayHint: 2 })?.toISOString(), expected);
    assert.equal(parseWindowsDate("2025-01-01T12:00:00.0000000+01:00")?.toISOString(), expected);
    assert.equal(parseWindowsDate("20250101120000.000000+060")?.toISOString(), expected);
    assert.equal(parseWindowsDate(null), null);
  });

  it("system info", () => {
    const info = parseSystemInfo(fixture("system.json") as SystemSample, new Date("2025-01-01T12:00:00Z"));
    methods.get_system_info.result.parse(info);
    assert.equal(info.hostname, "win-srv1");
    assert.equal(info.os.name, "Microsoft Windows Server 2022 Standard");
    assert.equal(info.uptime_s, 3600);
    assert.deepEqual(info.cpu, { model: "Intel Core Processor (Broadwell, IBRS)", count: 2 });
    assert.equal(info.memory.total_bytes, 4193844 * 1024);
  });

  it("network info joins adapters, addresses and statistics", () => {
    const { interfaces } = parseNetworkInfo(fixture("network.json") as NetworkSample);
    methods.get_network_info.result.parse({ interfaces });
    assert.equal(interfaces.length, 1);
    assert.equal(interfaces[0]!.mac, "52:54:00:ab:cd:ef");
    assert.deepEqual(interfaces[0]!.addresses, [
      { family: "ipv6", address: "fe80::1c2d:3e4f:5a6b:7c8d", prefix: 64 },
      { family: "ipv4", address: "192.168.122.50", prefix: 24 },
    ]);
    assert.equal(interfaces[0]!.tx_errors, 1);
  });

  it("disk usage skips empty optical drives", () => {
    const usage = parseDiskUsage(fixture("disks.json"), false);
    methods.get_disk_usage.result.parse(usage);
    assert.deepEqual(
      usage.filesystems.map((fs) => [fs.mountpoint, fs.fstype, fs.used_bytes]),
      [
        ["C:\\", "NTFS", 64422408192 - 40000000000],
        ["E:\\", "ReFS", 10737418240 - 10000000000],
      ],
    );
  });

  it("processes join Win32_Process with Get-Process owners", () => {
    const rows = parseProcesses(fixture("processes.json") as ProcessSample);
    const sql = rows.find((row) => row.pid === 2360)!;
    assert.equal(sql.user, "NT SERVICE\\MSSQLSERVER");
    assert.equal(sql.rss_bytes, 734003200);
    assert.equal(sql.cpuSeconds, 95.25);
    assert.equal(sql.started_at, "2025-01-01T11:00:30.000Z");
    assert.equal(rows.find((row) => row.pid === 4)!.command, "System");
  });

  it("quser sessions, including a disconnected one", () => {
    const sessions = parseQuser(readFileSync(path.join(fixtures, "quser.txt"), "utf8"));
    methods.get_users.result.parse({ sessions });
    assert.deepEqual(
      sessions.map((s) => [s.user, s.terminal]),
      [
        ["administrator", "rdp-tcp#0"],
        ["alice", "disconnected"],
      ],
    );
  });

  it("metrics from perf counters", () => {
    const metrics = parseMetrics(fixture("metrics.json") as MetricsSample, new Date("2025-01-01T12:00:00Z"), 1000, 2);
    methods.get_metrics.result.parse(metrics);
    assert.equal(metrics.cpu.percent, 20);
    assert.equal(metrics.memory.swap_total_bytes, 1024 * 1024 * 1024);
    assert.deepEqual(
      metrics.disks.map((disk) => disk.device),
      ["0 C:"],
    );
    assert.equal(metrics.network[0]!.rx_bytes_per_s, 2048);
  });

  it("telemetry: the metrics and each drive's use, fullest first, without the empty optical drive", () => {
    const sample = { ...(fixture("metrics.json") as MetricsSample), drives: fixture("disks.json") } as TelemetrySample;
    const telemetry = parseTelemetry(sample, new Date("2025-01-01T12:00:00Z"), 1000, 2);
    notifications.telemetry.params.parse(telemetry);
    assert.equal(telemetry.cpu.percent, 20);
    assert.deepEqual(telemetry.filesystems, [
      { mount: "C:\\", total_bytes: 64422408192, used_bytes: 24422408192, used_percent: 37.9 },
      { mount: "E:\\", total_bytes: 10737418240, used_bytes: 737418240, used_percent: 6.9 },
    ]);
  });
});
