import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { exampleMetrics } from "../protocol/examples";
import { notifications } from "../protocol/notifications";
import type { Telemetry } from "../protocol/index";
import { waitFor } from "../test/wait";
import { Agent } from "./agent";
import { parseConfig } from "./config";
import { Logger } from "./log";
import type { Platform } from "./platform/platform";
import type { Transport, TransportEvents } from "./transport/transport";

/** A host on the other side of a fake channel: everything the agent writes, one message a line. */
class FakeTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "unix-socket" as const;
  readonly sent: Array<{ method?: string; params?: unknown }> = [];
  private text = "";
  start(): void {
    this.emit("connect");
  }
  async write(data: Buffer): Promise<void> {
    this.text += data.toString("utf8");
    const lines = this.text.split("\n");
    this.text = lines.pop()!;
    for (const line of lines) this.sent.push(JSON.parse(line) as { method?: string; params?: unknown });
  }
  async stop(): Promise<void> {}
}

/** Only what telemetry and agent.ready ask of a platform; anything else fails the test loudly. */
function fakePlatform(telemetry: () => Promise<Telemetry>): Platform {
  const unused = () => Promise.reject(new Error("not used by this test"));
  return {
    os: "linux",
    devicePath: () => "/dev/null",
    defaultConfigPath: "/dev/null",
    defaultAllowedPaths: ["/tmp"],
    systemInfo: unused,
    networkInfo: unused,
    diskUsage: unused,
    metrics: unused,
    telemetry,
    processes: unused,
    users: unused,
    powerCommand: unused,
    killProcessTree: () => {},
  };
}

async function firstTelemetry(platform: Platform): Promise<{ telemetry: Telemetry; capabilities: string[] }> {
  const transport = new FakeTransport();
  const config = parseConfig('{"telemetry_interval_s": 0.01}', "test", ["/tmp"]);
  const agent = new Agent({ config, platform, transport, log: new Logger("error", { write: () => {} }) });
  agent.start();
  try {
    const sent = await waitFor("a telemetry notification", () => transport.sent.find((m) => m.method === "telemetry"));
    const ready = transport.sent.find((m) => m.method === "agent.ready")!.params as { capabilities: string[] };
    return { telemetry: notifications.telemetry.params.parse(sent.params), capabilities: ready.capabilities };
  } finally {
    await agent.stop();
  }
}

describe("the agent's telemetry", () => {
  it("sends the platform's filesystem use, cut to the bounds, and announces telemetry.filesystems", async () => {
    const filesystems = Array.from({ length: 40 }, (_, i) => ({ mount: `/data/${i}`, total_bytes: 1000, used_bytes: 990 - i, used_percent: 99 - i / 10 }));
    const { telemetry, capabilities } = await firstTelemetry(fakePlatform(async () => ({ ...exampleMetrics, filesystems })));
    assert.equal(telemetry.filesystems!.length, 32, "at most 32 filesystems");
    assert.deepEqual(telemetry.filesystems![0], { mount: "/data/0", total_bytes: 1000, used_bytes: 990, used_percent: 99 });
    assert.equal(telemetry.truncated, true);
    assert.equal(telemetry.cpu.percent, exampleMetrics.cpu.percent);
    assert.ok(capabilities.includes("telemetry") && capabilities.includes("telemetry.filesystems"), capabilities.join(", "));
  });

  it("a platform that reads no filesystems sends telemetry without the field, as older agents do", async () => {
    const { telemetry } = await firstTelemetry(fakePlatform(async () => exampleMetrics));
    assert.equal("filesystems" in telemetry, false);
    assert.equal(telemetry.memory.total_bytes, exampleMetrics.memory.total_bytes);
  });
});
