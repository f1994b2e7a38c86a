import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import {
  parseCmdline,
  parseDiskstats,
  meminfoFields,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseOsRelease,
  parsePasswd,
  parsePidStat,
  parsePidStatus,
  parseProcStat,
} from "./procfs";

describe("procfs parsers", () => {
  it("os-release with quoting", () => {
    const fields = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID=\'12\'\n# comment\nNAME="Say \\"hi\\""\n');
    assert.deepEqual(fields, { PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)", ID: "debian", VERSION_ID: "12", NAME: 'Say "hi"' });
  });

  it("meminfo in bytes", () => {
    const memory = parseMeminfo("MemTotal:        2034324 kB\nMemAvailable:    1000000 kB\nHugePages_Total:       0\n");
    assert.equal(memory.get("MemTotal"), 2034324 * 1024);
    assert.equal(memory.get("HugePages_Total"), 0);
  });

  it("meminfo's named fields only, in bytes, each from its own line", () => {
    const text = "MemTotal:        2034324 kB\nSwapCached:          16 kB\nCached:           500000 kB\nHugePages_Total:       0\nDirectMap4k";
    const memory = meminfoFields(text, ["MemTotal", "Cached", "HugePages_Total", "MemAvailable", "DirectMap4k"]);
    assert.deepEqual(
      [...memory],
      [
        ["MemTotal", 2034324 * 1024],
        ["Cached", 500000 * 1024],
        ["HugePages_Total", 0],
      ],
    );
  });

  it("meminfo's named fields read as the whole parse reads them, on this machine's /proc/meminfo", () => {
    const text = readFileSync("/proc/meminfo", "utf8");
    const keys = ["MemTotal", "MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree"];
    const all = parseMeminfo(text);
    assert.deepEqual(
      [...meminfoFields(text, keys)],
      keys.map((key) => [key, all.get(key)]),
    );
  });

  it("/proc/stat CPU totals and boot time", () => {
    const stat = parseProcStat("cpu  100 5 50 800 20 1 2 3 40 0\ncpu0 1 1 1 1 1 1 1 1 0 0\nbtime 1735729200\n");
    assert.deepEqual(stat, { cpu: { total: 981, idle: 820 }, online: 1, bootTime: 1735729200 });
  });

  it("/proc/stat's cpuN lines count the CPUs online", () => {
    const stat = parseProcStat("cpu  4 0 4 8 0 0 0 0 0 0\ncpu0 1 0 1 2 0 0 0 0 0 0\ncpu1 1 0 1 2 0 0 0 0 0 0\ncpu3 2 0 2 4 0 0 0 0 0 0\nintr 5\n");
    assert.equal(stat.online, 3);
  });

  it("diskstats in bytes of 512-byte sectors", () => {
    const [vda] = parseDiskstats(" 254       0 vda 1200 30 96000 500 800 40 64000 900 0 1000 1400 0 0 0 0\n");
    assert.deepEqual(vda, { name: "vda", reads: 1200, readBytes: 96000 * 512, writes: 800, writeBytes: 64000 * 512 });
  });

  it("/proc/net/dev", () => {
    const text =
      "Inter-|   Receive\n face |bytes    packets\n    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n  eth0: 5000 50 1 0 0 0 0 0 7000 60 2 0 0 0 0 0\n";
    assert.deepEqual(parseNetDev(text), [
      { name: "lo", rxBytes: 1000, txBytes: 1000 },
      { name: "eth0", rxBytes: 5000, txBytes: 7000 },
    ]);
  });

  it("/proc/PID/stat with spaces and parentheses in the command name", () => {
    const stat = parsePidStat("4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 1000000 500 18446744073709551615");
    assert.deepEqual(stat, { pid: 4242, comm: "my (odd) prog", state: "S", ppid: 1, cpuTicks: 300, threads: 3, startTicks: 12345 });
  });

  it("/proc/PID/status uid and resident memory, cmdline", () => {
    assert.deepEqual(parsePidStatus("Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t    5120 kB\n"), { uid: 1000, rssBytes: 5120 * 1024 });
    assert.equal(parseCmdline(Buffer.from("sleep\x00300\x00")), "sleep 300");
  });

  it("/proc/mounts with escaped spaces", () => {
    const [mount] = parseMounts("/dev/vdb1 /mnt/my\\040disk ext4 ro,relatime 0 0\n");
    assert.deepEqual(mount, { device: "/dev/vdb1", mountpoint: "/mnt/my disk", fstype: "ext4", readOnly: true });
  });

  it("/etc/passwd", () => {
    assert.equal(parsePasswd("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n").get(1000), "alice");
  });
});
