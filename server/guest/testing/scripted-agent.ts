// A scripted agent for unit tests of the host side: it answers the handshake and `ping` like the
// real agent, and writes whatever else the test wants (hostile lines included) straight into the
// host's end of an in-memory channel. No process, no socket, no libvirt.
import { Duplex, PassThrough } from "node:stream";
import { LineDecoder, type AgentInfo } from "@/agent/protocol";
import { exampleAgentInfo } from "@/agent/protocol/examples";
import type { ChannelEndpoint } from "../session";

interface Request {
  id: unknown;
  method: string;
  params?: Record<string, unknown>;
}

export class ScriptedAgent {
  /** Every request the host sent, in order. */
  readonly requests: Request[] = [];
  /** Channels opened so far; the host reopens after a close. */
  opened = 0;
  info: AgentInfo = exampleAgentInfo;
  /** Answers nothing while set: an agent removed from the guest, or hung, behind a channel that stays open. */
  silent = false;
  private toHost: PassThrough | null = null;
  private readonly decoder = new LineDecoder();

  /** The session's `open`: a fresh in-memory channel each time. */
  readonly open = async (): Promise<ChannelEndpoint> => {
    const toHost = new PassThrough();
    const toAgent = new PassThrough();
    this.decoder.reset();
    toAgent.on("data", (chunk: Buffer) => this.onRequestBytes(chunk));
    this.toHost = toHost;
    this.opened += 1;
    return { stream: Duplex.from({ readable: toHost, writable: toAgent }), transport: "socket" };
  };

  /** Writes raw bytes to the host (a newline is not added). */
  write(bytes: string | Buffer): void {
    this.toHost?.write(bytes);
  }

  /** One JSON message as one line. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  private onRequestBytes(chunk: Buffer): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.kind !== "line") continue;
      const request = JSON.parse(item.line.toString("utf8")) as Request;
      this.requests.push(request);
      this.answer(request);
    }
  }

  private answer(request: Request): void {
    if (this.silent) return;
    switch (request.method) {
      case "sync":
        return this.send({ jsonrpc: "2.0", id: request.id, result: { id: request.params?.id } });
      case "get_agent_info":
        return this.send({ jsonrpc: "2.0", id: request.id, result: this.info });
      case "ping":
        return this.send({ jsonrpc: "2.0", id: request.id, result: { pong: true, time: new Date().toISOString() } });
    }
  }
}
