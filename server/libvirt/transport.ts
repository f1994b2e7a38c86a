// Opens the byte stream a TransportPlan describes: a unix or TCP socket, a
// TLS socket with client certificates, or a child process (ssh, ext) whose
// stdin/stdout carry the protocol.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { LibvirtConnectionError } from "./errors";
import type { TransportEnv, TransportPlan } from "./transport-plan";

export function processTransportEnv(): TransportEnv {
  return {
    uid: process.getuid?.() ?? -1,
    home: os.homedir(),
    runtimeDir: process.env.XDG_RUNTIME_DIR,
    exists: existsSync,
  };
}

/** Resolves once the transport can carry data; rejects with LibvirtConnectionError('connect'). */
export async function openTransport(plan: TransportPlan, uri: string): Promise<Duplex> {
  switch (plan.kind) {
    case "unix":
      return connected(net.createConnection({ path: plan.path }), "connect", `${uri}: cannot connect to ${plan.path}`);
    case "tcp":
      return connected(net.createConnection({ host: plan.host, port: plan.port }), "connect", `${uri}: cannot connect to ${plan.host}:${plan.port}`);
    case "tls":
      return openTls(plan, uri);
    case "command":
      return openCommand(plan, uri);
  }
}

async function openTls(plan: Extract<TransportPlan, { kind: "tls" }>, uri: string): Promise<Duplex> {
  const [ca, cert, key] = await readTlsCredentials([plan.caFile, plan.certFile, plan.keyFile], uri);
  const socket = tls.connect({
    host: plan.host,
    port: plan.port,
    ca,
    cert,
    key,
    servername: net.isIP(plan.host) ? undefined : plan.host,
    rejectUnauthorized: plan.verify,
  });
  return serverVerdict(await connected(socket, "secureConnect", `${uri}: TLS connection to ${plan.host}:${plan.port} failed`), uri);
}

/**
 * Reads every file before judging, so that the error names each one missing or unreadable, in the
 * order given: with the first rejection alone, which file was named depended on the thread pool.
 */
async function readTlsCredentials(files: readonly [string, string, string], uri: string): Promise<[Buffer, Buffer, Buffer]> {
  const [ca, cert, key] = await Promise.allSettled(files.map((file) => readFile(file)));
  if (ca?.status === "fulfilled" && cert?.status === "fulfilled" && key?.status === "fulfilled") return [ca.value, cert.value, key.value];
  const failed = [ca, cert, key].flatMap((r) => (r?.status === "rejected" ? [r.reason as Error] : []));
  const cause = failed.length === 1 ? failed[0] : new AggregateError(failed);
  throw new LibvirtConnectionError("connect", `${uri}: cannot read TLS credentials: ${failed.map((e) => e.message).join("; ")}`, { cause });
}

/**
 * After the TLS handshake libvirtd checks our certificate and address, and sends one byte, 1, if
 * they pass (virnetserverclient.c), or closes the connection; its RPC protocol starts after that
 * byte (virnetclient.c reads it the same way).
 */
function serverVerdict(socket: tls.TLSSocket, uri: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null) => {
      socket.off("readable", onReadable).off("close", onClose).off("error", onError);
      if (!err) return resolve(socket);
      socket.destroy();
      reject(new LibvirtConnectionError("connect", `${uri}: ${err.message}`, { cause: err }));
    };
    const onReadable = () => {
      const verdict: Buffer | null = socket.read(1);
      if (verdict === null) return;
      done(verdict[0] === 1 ? null : new Error(`libvirtd answered the TLS handshake with ${verdict[0]} instead of 1`));
    };
    const onClose = () =>
      done(new Error("libvirtd closed the connection after the TLS handshake: it refused our certificate or address (its tls_allowed_dn_list)"));
    const onError = (err: Error) => done(err);
    socket.on("readable", onReadable).once("close", onClose).once("error", onError);
  });
}

function connected<S extends net.Socket>(socket: S, event: "connect" | "secureConnect", context: string): Promise<S> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.destroy();
      reject(new LibvirtConnectionError("connect", `${context}: ${err.message}`, { cause: err }));
    };
    socket.once("error", onError);
    socket.once(event, () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

async function openCommand(plan: Extract<TransportPlan, { kind: "command" }>, uri: string): Promise<Duplex> {
  const child = spawn(plan.file, plan.args, { stdio: ["pipe", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err) => reject(new LibvirtConnectionError("connect", `${uri}: cannot run ${plan.file}: ${err.message}`, { cause: err })));
  });
  return new ChildProcessTransport(child, plan.file);
}

const STDERR_TAIL = 2048;

/**
 * A child's stdout as the readable side and stdin as the writable side. The
 * child's stderr tail (ssh's "Permission denied", nc's "No such file")
 * becomes the error when it exits. Destroying it kills the child. The VNC
 * console's ssh forward is one too (server/console/service.ts).
 */
export class ChildProcessTransport extends Duplex {
  private stderr = "";

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly context: string,
  ) {
    super({ allowHalfOpen: false });
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    child.stdin.on("error", () => {}); // EPIPE after the child died; 'exit' reports it
    // 'close' comes after stdout is drained, so no reply is lost to the error.
    child.once("close", (code, signal) => {
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const detail = this.stderr.trim() ? `: ${this.stderr.trim()}` : "";
      this.destroy(new LibvirtConnectionError("disconnected", `${this.context} ${how}${detail}`));
    });
  }

  /** What the child wrote to stderr so far (its last STDERR_TAIL characters). */
  get stderrText(): string {
    return this.stderr.trim();
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.child.stdin.write(chunk, callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    callback(err);
  }
}
