// The agent's idle footprint inside a guest (issue 15 item 3), next to a bare `node` started in the
// same guest: RSS (VmRSS, RssAnon) and PSS / private memory (smaps_rollup) at the start and end of
// an idle window, and the CPU time (utime + stime from /proc/<pid>/stat) spent over that window.
//
// Everything is read by one shell run through qemu-guest-agent's guest-exec, which sleeps the
// window itself: our agent does no work for the measurement (an exec through it would land its
// own cost in the figure), and the CPU figure is guest time, so host load matters much less.
// Shared by scripts/bench-guest.ts (busybox test guest) and scripts/bench/debian-footprint.ts.

/** One qemu-guest-agent command's `return` value (libvirt's pass-through). */
export type QgaCall = <T>(execute: string, args?: Record<string, unknown>) => Promise<T>;

interface ProcessSample {
  ticks: number;
  rssKiB: number;
  anonKiB: number;
  pssKiB: number | null;
  privateKiB: number | null;
}

interface WindowSample {
  uptime: number;
  processes: Map<number, ProcessSample>;
}

export interface ProcessFootprint {
  start: ProcessSample;
  end: ProcessSample;
  /** Percent of one vCPU over the window. */
  cpuPercent: number;
}

export interface Footprint {
  windowS: number;
  agent: ProcessFootprint;
  bareNode: ProcessFootprint;
  /** A node with the agent's flags doing only the telemetry's reads and one write every 10 s. */
  readsOnly: ProcessFootprint;
}

/**
 * The least any Node program sending the agent's telemetry every 10 s could cost here: the same
 * /proc files read through kept-open descriptors, one statfs, one JSON line written, nothing else.
 * Its CPU is the floor under the agent's (no single quotes: it goes into sh -c '…').
 */
const READS_ONLY_SCRIPT = [
  `const fs = require("fs");`,
  `const files = ["/proc/stat", "/proc/meminfo", "/proc/diskstats", "/proc/net/dev", "/proc/self/mounts"].map((f) => fs.openSync(f, "r"));`,
  `const buffer = Buffer.allocUnsafe(65536); const out = fs.openSync("/dev/null", "w");`,
  `setInterval(() => { const texts = files.map((fd) => buffer.toString("latin1", 0, fs.readSync(fd, buffer, 0, buffer.length, 0)));`,
  ` fs.writeSync(out, JSON.stringify({ lengths: texts.map((t) => t.length), free: fs.statfsSync("/").bfree }) + "\\n"); }, 10000);`,
].join(" ");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** guest-exec with captured output, polled until the process exits. */
export async function qgaExec(qga: QgaCall, argv: readonly string[], timeoutMs: number): Promise<string> {
  const { pid } = await qga<{ pid: number }>("guest-exec", { path: argv[0], arg: argv.slice(1), "capture-output": true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await qga<{ exited: boolean; exitcode?: number; "out-data"?: string; "err-data"?: string }>("guest-exec-status", { pid });
    if (s.exited) {
      const text = (data: string | undefined) => Buffer.from(data ?? "", "base64").toString("utf8");
      if (s.exitcode !== 0) throw new Error(`${argv.join(" ")} exited with ${s.exitcode ?? "a signal"} in the guest: ${text(s["err-data"])}`);
      return text(s["out-data"]);
    }
    if (Date.now() > deadline) throw new Error(`${argv.join(" ")} did not exit within ${timeoutMs} ms in the guest`);
    await sleep(500);
  }
}

/** Prints each process's /proc figures, then the uptime: "P <pid>" starts a process's block. */
function sampleScript(pids: readonly number[]): string {
  const list = pids.join(" ");
  return [
    `for p in ${list}; do echo "P $p"; cat /proc/$p/stat; grep -E '^(VmRSS|RssAnon):' /proc/$p/status;`,
    ` grep -E '^(Pss|Private_Clean|Private_Dirty):' /proc/$p/smaps_rollup 2>/dev/null; done; echo "U $(cut -d' ' -f1 /proc/uptime)"`,
  ].join("");
}

function parseWindowSample(text: string): WindowSample {
  const processes = new Map<number, ProcessSample>();
  let uptime = NaN;
  let current: { pid: number; lines: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    const body = current.lines.join("\n");
    const stat = current.lines[0] ?? "";
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const kib = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(body);
      return m ? Number(m[1]) : null;
    };
    const clean = kib("Private_Clean");
    const dirty = kib("Private_Dirty");
    processes.set(current.pid, {
      ticks: Number(fields[11]) + Number(fields[12]), // utime + stime, in USER_HZ (100)
      rssKiB: kib("VmRSS") ?? NaN,
      anonKiB: kib("RssAnon") ?? NaN,
      pssKiB: kib("Pss"),
      privateKiB: clean === null || dirty === null ? null : clean + dirty,
    });
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("P ")) {
      flush();
      current = { pid: Number(line.slice(2)), lines: [] };
    } else if (line.startsWith("U ")) {
      flush();
      current = null;
      uptime = Number(line.slice(2));
    } else if (current && line) current.lines.push(line);
  }
  return { uptime, processes };
}

/** Starts `node <args>` in the guest, detached; its pid. */
async function startNode(qga: QgaCall, args: string): Promise<number> {
  const started = await qgaExec(qga, ["/bin/sh", "-c", `/usr/bin/node ${args} </dev/null >/dev/null 2>&1 & echo $!`], 30_000);
  const pid = Number(started.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`starting node ${args.slice(0, 40)}… in the guest printed ${JSON.stringify(started)}`);
  return pid;
}

/**
 * Starts a bare `node` and a reads-only one (READS_ONLY_SCRIPT, with the agent's `nodeFlags`) next
 * to the agent (pid `agentPid`), lets all settle for `settleS`, then samples them at the start and
 * the end of an `idleS` window. The two are killed afterwards.
 */
export async function measureFootprint(
  qga: QgaCall,
  options: { agentPid: number; idleS: number; settleS: number; nodeFlags: readonly string[] },
): Promise<Footprint> {
  const started: number[] = [];
  try {
    const barePid = await startNode(qga, `-e 'setInterval(() => {}, 1e9)'`);
    started.push(barePid);
    const readsPid = await startNode(qga, `${options.nodeFlags.join(" ")} -e '${READS_ONLY_SCRIPT}'`);
    started.push(readsPid);
    await sleep(options.settleS * 1000);
    const pids = [options.agentPid, barePid, readsPid];
    const script = `echo T0; ${sampleScript(pids)}; sleep ${options.idleS}; echo T1; ${sampleScript(pids)}`;
    const out = await qgaExec(qga, ["/bin/sh", "-c", script], (options.idleS + 120) * 1000);
    const [, before = "", after = ""] = out.split(/^T[01]$/m);
    const a = parseWindowSample(before);
    const b = parseWindowSample(after);
    const windowS = b.uptime - a.uptime;
    const figures = (pid: number): ProcessFootprint => {
      const start = a.processes.get(pid);
      const end = b.processes.get(pid);
      if (!start || !end) throw new Error(`process ${pid} vanished from the guest during the idle window`);
      return { start, end, cpuPercent: ((end.ticks - start.ticks) / 100 / windowS) * 100 };
    };
    return { windowS, agent: figures(options.agentPid), bareNode: figures(barePid), readsOnly: figures(readsPid) };
  } finally {
    if (started.length > 0) await qgaExec(qga, ["/bin/sh", "-c", `kill ${started.join(" ")}`], 30_000);
  }
}

/**
 * The same bench before issue 15 item 3 (commit 5036690, 60 s window): agent RSS at the end, its
 * distance to the bare node, CPU. Printed beside each run's figures.
 */
export const FOOTPRINT_BEFORE = {
  busybox: { rssMiB: 55.7, overBareMiB: 19.6, cpuPercent: 1.28 },
  debian: { rssMiB: 69.2, overBareMiB: 19.2, cpuPercent: 0.53 },
} as const;

const mib = (kib: number | null) => (kib === null ? "n/a" : (kib / 1024).toFixed(1));

/** The figures as a few lines, with the targets (≤ 5 MiB above bare node, < 0.1 % of a vCPU). */
export function formatFootprint(label: string, f: Footprint, before: (typeof FOOTPRINT_BEFORE)[keyof typeof FOOTPRINT_BEFORE]): string {
  const row = (name: string, p: ProcessFootprint) =>
    `${name.padEnd(10)} RSS ${mib(p.start.rssKiB)} → ${mib(p.end.rssKiB)} MiB, anon ${mib(p.start.anonKiB)} → ${mib(p.end.anonKiB)}, ` +
    `PSS ${mib(p.start.pssKiB)} → ${mib(p.end.pssKiB)}, private ${mib(p.start.privateKiB)} → ${mib(p.end.privateKiB)}; ` +
    `CPU ${p.cpuPercent.toFixed(3)} % of a vCPU (${p.end.ticks - p.start.ticks} ticks)`;
  const over = (f.agent.end.rssKiB - f.bareNode.end.rssKiB) / 1024;
  return [
    `== agent footprint, ${label}: idle window ${f.windowS.toFixed(1)} s of guest time, telemetry every 10 s, host connected`,
    row("agent", f.agent),
    row("bare node", f.bareNode),
    row("reads only", f.readsOnly),
    `agent − bare node at the end: RSS +${over.toFixed(1)} MiB (target ≤ 5), agent CPU ${f.agent.cpuPercent.toFixed(3)} % (target < 0.1)`,
    `the floor: a node with the agent's flags that only reads the same /proc files and writes a line every 10 s spends ${f.readsOnly.cpuPercent.toFixed(3)} %`,
    `before (commit 5036690): agent RSS ${before.rssMiB} MiB, +${before.overBareMiB} MiB over a bare node, CPU ${before.cpuPercent} %`,
    "(start = after boot and a settle; end = after the window; read by qemu-guest-agent's guest-exec, CPU in guest time)",
  ].join("\n");
}
