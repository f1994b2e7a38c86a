import type { LogLevel } from "./config";

/** syslog(3) severities; `notice` is reserved for audit records, which are never filtered. */
export type Severity = "error" | "warn" | "notice" | "info" | "debug";

export interface LogSink {
  write(severity: Severity, message: string): void;
}

export type LogFields = Record<string, unknown>;

const rank: Record<Severity, number> = { error: 0, warn: 1, notice: 2, info: 3, debug: 4 };

export class Logger {
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
    this.sink.write("notice", formatLine("audit", fields));
  }

  private log(severity: Severity, message: string, fields?: LogFields): void {
    if (rank[severity] > rank[this.level]) return;
    this.sink.write(severity, formatLine(message, fields));
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
