import type { LogLevel } from "./config";

/** syslog(3) severities; `notice` is reserved for audit records, which are never filtered. */
export type Severity = "error" | "warn" | "notice" | "info" | "debug";

export interface LogSink {
  write(severity: Severity, message: string): void;
}

export type LogFields = Record<string, unknown>;

const rank: Record<Severity, number> = { error: 0, warn: 1, notice: 2, info: 3, debug: 4 };

/** Records kept while the log is held (fs_freeze); beyond it only a count survives. */
const HELD_MAX = 1000;

export class Logger {
  private held: Array<[Severity, string]> | null = null;
  private droppedWhileHeld = 0;

  constructor(
    private readonly level: LogLevel,
    private readonly sink: LogSink,
  ) {}

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }

  /** One record per exec, file or power request: who asked (request id), what, and how it ended. */
  audit(fields: LogFields): void {
    this.write("notice", formatLine("audit", fields));
  }

  /**
   * Keeps records in memory instead of writing them, until release(): while filesystems are frozen
   * a write to a log file on one of them would block the agent (and so the thaw).
   */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    for (const [severity, line] of held) this.sink.write(severity, line);
    if (this.droppedWhileHeld > 0) this.sink.write("warn", formatLine("log records dropped while filesystems were frozen", { count: this.droppedWhileHeld }));
    this.droppedWhileHeld = 0;
  }

  private log(severity: Severity, message: string, fields?: LogFields): void {
    if (rank[severity] > rank[this.level]) return;
    this.write(severity, formatLine(message, fields));
  }

  private write(severity: Severity, line: string): void {
    if (!this.held) this.sink.write(severity, line);
    else if (this.held.length < HELD_MAX) this.held.push([severity, line]);
    else this.droppedWhileHeld++;
  }
}

/** `message key=value key="value with spaces"`, always one line. */
export function formatLine(message: string, fields: LogFields = {}): string {
  const parts = [message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(" ").replace(/[\r\n]+/g, "\\n");
}

function formatValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[\w./:@+-]+$/.test(text) ? text : JSON.stringify(text);
}
