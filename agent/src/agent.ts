import { existsSync } from "node:fs";
import os from "node:os";
import { clip, LIST_MAX, TEXT_MAX } from "../protocol/bounds";
import { MAX_LINE_BYTES } from "../protocol/framing";
import type { AgentInfo } from "../protocol/index";
import { makeNotification } from "../protocol/jsonrpc";
import { capabilities, type Capability } from "../protocol/methods";
import { PROTOCOL_VERSION } from "../protocol/version";
import { Channel } from "./channel";
import type { AgentConfig } from "./config";
import { fsfreezeCommand, readMountInfo } from "./freeze/command";
import { Freezer, systemClock } from "./freeze/freezer";
import type { Logger } from "./log";
import { fitTelemetry } from "./platform/fit";
import type { Platform } from "./platform/platform";
import { Dispatcher } from "./rpc/dispatcher";
import { answerToSync } from "./rpc/handshake";
import { buildHandlers, disabledReason } from "./rpc/handlers";
import type { Transport } from "./transport/transport";
import type { LauncherHook } from "./update/launch";
import { Uploads } from "./update/upload";
import { AGENT_NAME, AGENT_VERSION } from "./version";

/** Password and clock (issue 15 item 4): chpasswd and date(1), so Linux guests only. */
const linuxOnlyCapabilities: ReadonlySet<Capability> = new Set<Capability>(["user.password", "time.sync"]);

export interface AgentOptions {
  config: AgentConfig;
  platform: Platform;
  transport: Transport;
  log: Logger;
  /** Default on Linux: fsfreeze(8) on the mounts in the system's mountinfo (init's, not the sandbox's); none on Windows. */
  freezer?: Freezer | null;
  /** Self-update (issue 15 item 5): the launcher that loaded this bundle (none: started directly, no self-update), and how to exit for the restart. */
  launcher?: LauncherHook;
  restart?: () => void;
}

export class Agent {
  private readonly channel: Channel;
  private readonly dispatcher: Dispatcher;
  private readonly freezer: Freezer | null;
  private readonly startedAt = new Date().toISOString();
  private telemetryTimer: NodeJS.Timeout | undefined;
  /** False from start and from every (re)connect of a host until a `sync` is answered (see rpc/handshake.ts). */
  private synced = false;
  private discarded = 0;

  constructor(private readonly options: AgentOptions) {
    const { config, platform, transport, log } = options;
    this.channel = new Channel(transport, config.max_request_bytes, log);
    this.freezer =
      options.freezer !== undefined
        ? options.freezer
        : platform.os === "linux"
          ? new Freezer({ readMountInfo, run: fsfreezeCommand, clock: systemClock, log })
          : null;
    this.dispatcher = new Dispatcher({
      handlers: buildHandlers({ config, platform, log, agentInfo: () => this.info(), freezer: this.freezer, update: this.updateDeps() }),
      disabledReason: (capability) => disabledReason(config, capability),
      maxConcurrent: config.max_concurrent_requests,
      // Our own answers may use the whole protocol limit even when requests are limited further.
      maxLineBytes: MAX_LINE_BYTES,
      log,
    });
  }

  private updateDeps() {
    const { launcher, restart, config } = this.options;
    if (!launcher || !restart) return undefined;
    const uploads = new Uploads({
      stateDir: launcher.stateDir,
      keyPath: launcher.keyPath,
      chunkMaxBytes: config.max_file_chunk_bytes,
      runningVersion: AGENT_VERSION,
      running: launcher.running,
      now: Date.now,
    });
    return { uploads, restart };
  }

  start(): void {
    const { log, config } = this.options;
    this.channel.on("connect", () => {
      this.synced = false;
      this.discarded = 0;
      void this.channel.send(makeNotification("agent.ready", this.info()));
    });
    this.channel.on("line", (line) => {
      if (this.synced) void this.answer(line);
      else this.handshake(line);
    });
    this.channel.on("overflow", (limit) => {
      if (!this.synced) {
        this.discarded++;
        return;
      }
      log.warn("request line too long, skipped to the next line", { limit });
      void this.channel.sendLine(this.dispatcher.overflowLine(limit));
    });
    if (config.telemetry_interval_s > 0) {
      this.telemetryTimer = setInterval(() => void this.sendTelemetry(), config.telemetry_interval_s * 1000);
    }
    log.info("agent started", { version: AGENT_VERSION, transport: this.channel.kind, pid: process.pid });
    this.channel.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.telemetryTimer);
    // A guest must never stay frozen because its agent went away.
    if (this.freezer?.status().frozen) {
      const { thawed, failed } = await this.freezer.thaw();
      this.options.log.warn("stopping while frozen: thawed", { thawed, failed: failed.map((f) => f.mount) });
    }
    await this.channel.stop();
  }

  /** Mount points frozen now, in mount order (the thaw order). */
  frozenMounts(): string[] {
    return [...(this.freezer?.status().mounts ?? [])].reverse();
  }

  info(): AgentInfo {
    const { config, platform } = this.options;
    return {
      name: AGENT_NAME,
      version: AGENT_VERSION,
      protocol_version: PROTOCOL_VERSION,
      capabilities: capabilities.filter((capability) =>
        capability === "telemetry" || capability === "telemetry.filesystems"
          ? config.telemetry_interval_s > 0
          : capability === "fs.freeze"
            ? this.freezer !== null
            : linuxOnlyCapabilities.has(capability) && platform.os !== "linux"
              ? false
              : // Services and packages (issue 15): only where the platform has them, and switched on.
                (capability === "services" || capability === "services.manage"
                  ? platform.services !== undefined
                  : capability === "packages"
                    ? platform.packages !== undefined
                    : // Self-update: only under the launcher, with the package's key in place.
                      capability === "update"
                      ? this.options.launcher !== undefined && existsSync(this.options.launcher.keyPath)
                      : capability === "hotplug.online"
                        ? platform.onlineHotplugged !== undefined
                        : true) && disabledReason(config, capability) === null,
      ),
      platform: { os: platform.os, arch: os.arch(), hostname: clip(os.hostname(), TEXT_MAX.hostname), node_version: process.version },
      limits: {
        max_request_bytes: config.max_request_bytes,
        max_file_chunk_bytes: config.max_file_chunk_bytes,
        exec_output_max_bytes: config.exec_output_max_bytes,
        exec_max_timeout_ms: config.exec_max_timeout_ms,
      },
      allowed_paths: config.allowed_paths.slice(0, LIST_MAX.allowedPaths).map((root) => clip(root, TEXT_MAX.path)),
      pid: process.pid,
      started_at: this.startedAt,
      ...(this.options.launcher ? { update: { ...this.options.launcher.status(), running_version: AGENT_VERSION } } : {}),
    };
  }

  /** Before the handshake: answer a `sync`, drop anything else. */
  private handshake(line: Buffer): void {
    const answer = answerToSync(line);
    if (!answer) {
      this.discarded++;
      this.options.log.debug("discarded a line that came before the sync handshake", { bytes: line.length });
      return;
    }
    // Queued before the answer to any later line, so the host reads it first; the gate opens with it.
    void this.channel.sendLine(answer);
    this.synced = true;
    // A bundle on trial has now proved it can answer the host: the launcher keeps it.
    this.options.launcher?.confirm();
    if (this.discarded > 0) this.options.log.info("host synced; discarded the lines it sent before", { lines: this.discarded });
  }

  private async answer(line: Buffer): Promise<void> {
    try {
      const outcome = await this.dispatcher.dispatch(line);
      if (outcome.line) await this.channel.sendLine(outcome.line);
      for (const action of outcome.after) action();
    } catch (error) {
      this.options.log.error("failed to answer a request", { error: (error as Error).message });
    }
  }

  private async sendTelemetry(): Promise<void> {
    try {
      const telemetry = fitTelemetry(await this.options.platform.telemetry());
      await this.channel.send(makeNotification("telemetry", telemetry));
    } catch (error) {
      this.options.log.warn("telemetry sample failed", { error: (error as Error).message });
    }
  }
}
