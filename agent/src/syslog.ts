import type { ChildProcess } from "node:child_process";
import { childProcess } from "./child-process";
import { statSync } from "node:fs";
import type { LogSink, Severity } from "./log";

const TAG = "kvmmanager-agent";

/** sd-daemon(3) priority prefixes that journald reads from a service's stderr. */
const journalPriority: Record<Severity, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };
const syslogPriority: Record<Severity, string> = {
  error: "daemon.err",
  warn: "daemon.warning",
  notice: "daemon.notice",
  info: "daemon.info",
  debug: "daemon.debug",
};

export class StderrSink implements LogSink {
  write(severity: Severity, message: string): void {
    process.stderr.write(`${new Date().toISOString()} ${severity} ${message}\n`);
  }
}

export class JournalSink implements LogSink {
  write(severity: Severity, message: string): void {
    process.stderr.write(`<${journalPriority[severity]}>${message}\n`);
  }
}

/**
 * Node cannot open the datagram socket behind /dev/log, so each severity gets one
 * long-lived logger(1) process (util-linux and busybox both log one message per
 * stdin line). If logger cannot run, records go to stderr instead of being lost.
 */
export class SyslogSink implements LogSink {
  private readonly writers = new Map<Severity, ChildProcess>();
  private failed = false;
  private readonly fallback = new StderrSink();

  write(severity: Severity, message: string): void {
    const writer = this.failed ? undefined : this.writer(severity);
    if (!writer?.stdin?.writable) {
      this.fallback.write(severity, message);
      return;
    }
    writer.stdin.write(`${message}\n`);
  }

  private writer(severity: Severity): ChildProcess | undefined {
    const existing = this.writers.get(severity);
    if (existing) return existing;
    const child = childProcess().spawn("logger", ["-t", TAG, "-p", syslogPriority[severity]], { stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", (error) => {
      this.failed = true;
      this.fallback.write("warn", `syslog unavailable, logging to stderr: ${error.message}`);
    });
    child.on("exit", () => this.writers.delete(severity));
    child.stdin?.on("error", () => this.writers.delete(severity));
    child.unref();
    this.writers.set(severity, child);
    return child;
  }
}

/** journald when systemd connected our stderr to it, else syslog when /dev/log exists, else plain stderr. */
export function chooseSink(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): LogSink {
  if (platform !== "linux") return new StderrSink();
  if (env.JOURNAL_STREAM) return new JournalSink();
  return isSocket("/dev/log") ? new SyslogSink() : new StderrSink();
}

function isSocket(file: string): boolean {
  try {
    return statSync(file).isSocket();
  } catch {
    return false;
  }
}
