import { spawn, execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AgentClient } from "../protocol/client";
import { LineDecoder } from "../protocol/framing";
import { waitFor } from "./wait";

export { waitFor };

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let bundle: Promise<string> | undefined;

/** The tests run the real artifact: the agent bundled exactly as build.mjs ships it, into a private folder. */
export function builtAgent(): Promise<string> {
  bundle ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-agent-build-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const outfile = path.join(dir, "kvmm-agent.cjs");
    await promisify(execFile)(process.execPath, [path.join(agentDir, "build.mjs"), "--outfile", outfile]);
    return outfile;
  })();
  return bundle;
}

export interface Host {
  dir: string;
  /** The allowed root the test config grants. */
  allowed: string;
  agent: ChildProcess;
  stderr(): string;
  /** The current connection from the agent. */
  socket: net.Socket;
  /** Every line the agent sent on the current connection, parsed. */
  received: unknown[];
  /** Sends raw text exactly as given. */
  sendRaw(text: string | Buffer): void;
  /** Waits for a response with this id on the current connection. */
  response(id: unknown, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Waits until a line satisfying `match` arrives (on the current connection). */
  line(what: string, match: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Waits for the agent's next connection (after the test dropped the current one). */
  nextConnection(): Promise<net.Socket>;
  client(): Promise<AgentClient>;
  stop(): Promise<void>;
}

export interface HostOptions {
  /** Merged over the test defaults; a function gets the allowed root first (for paths inside it). */
  config?: Record<string, unknown> | ((allowed: string) => Record<string, unknown>);
  /** Start without --config, so the agent looks for its default config file. */
  noConfig?: boolean;
  /** Node's own arguments, before the bundle (`-r <file>`). */
  nodeArgs?: readonly string[];
}

/** Plays the host: listens on a unix socket the agent connects to as a client. */
export async function startHost(options: HostOptions = {}): Promise<Host> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-host-"));
  const allowed = path.join(dir, "allowed");
  await mkdir(allowed);
  const socketPath = path.join(dir, "host.sock");
  const configPath = path.join(dir, "config.json");
  await writeFile(
    configPath,
    JSON.stringify({
      allowed_paths: [allowed],
      exec_enabled: true,
      telemetry_interval_s: 0,
      log_level: "debug",
      ...(typeof options.config === "function" ? options.config(allowed) : options.config),
    }),
  );
  const server = net.createServer();
  const connections: net.Socket[] = [];
  const waiters: Array<() => void> = [];
  server.on("connection", (socket) => {
    connections.push(socket);
    waiters.splice(0).forEach((wake) => wake());
  });
  server.listen(socketPath);
  await once(server, "listening");

  const agentFile = await builtAgent();
  const configArgs = options.noConfig ? [] : ["--config", configPath];
  const agent = spawn(process.execPath, [...(options.nodeArgs ?? []), agentFile, "--device", socketPath, ...configArgs], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  agent.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  let current: net.Socket;
  const attach = (socket: net.Socket) => {
    current = socket;
    const decoder = new LineDecoder();
    const mine: unknown[] = [];
    socket.on("data", (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) if (item.kind === "line") mine.push(JSON.parse(item.line.toString()));
    });
    host.socket = socket;
    host.received = mine;
  };
  let taken = 0;
  const nextConnection = async () => {
    await waitFor("the agent to connect", () => (connections.length > taken ? true : undefined), 10_000);
    const socket = connections[taken++]!;
    attach(socket);
    return socket;
  };

  const host: Host = {
    dir,
    allowed,
    agent,
    stderr: () => stderr,
    socket: undefined as unknown as net.Socket,
    received: [],
    sendRaw: (text) => current.write(text),
    response: (id, timeoutMs) => host.line(`response ${JSON.stringify(id)}`, (m) => "id" in m && m.id === id && !("method" in m), timeoutMs),
    line: (what, match, timeoutMs = 5_000) =>
      waitFor(
        what,
        () =>
          host.received.find(
            (m): m is Record<string, unknown> => typeof m === "object" && m !== null && !Array.isArray(m) && match(m as Record<string, unknown>),
          ),
        timeoutMs,
      ),
    nextConnection,
    client: async () => {
      const client = new AgentClient(current, { timeoutMs: 20_000 });
      await client.sync();
      return client;
    },
    stop: async () => {
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill("SIGTERM");
        await once(agent, "exit");
      }
      for (const socket of connections) socket.destroy();
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await nextConnection();
  return host;
}

/** Runs the agent with arguments and no host, for start-up failures; resolves with its exit code and stderr. */
export async function runAgent(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const agentFile = await builtAgent();
  const child = spawn(process.execPath, [agentFile, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stderr };
}
