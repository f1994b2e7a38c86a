// Test doubles for the hub's unit tests: a stand-in for QEMU's end of a virtio-serial channel,
// a stand-in for the libvirt connection, and the real agent bundle run against them.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { builtAgent } from "@/agent/test/harness";
import type { DomainEvent, DomainEventListener, protocol } from "@/server/libvirt";
import { uuidFromString, VIR_ERR_NO_DOMAIN } from "@/server/libvirt";
import { libvirtError } from "@/server/libvirt/testing/errors";
import type { HubConnection } from "../hub";

/**
 * QEMU's side of one channel: the hub connects to `hostPath` (as to the socket libvirt names in
 * the live XML), the agent to `guestPath` (standing in for the guest's /dev/virtio-ports/…).
 * Like QEMU, it serves one host client at a time and stops reading from the host while no guest
 * process holds the port, so what the host sends then waits.
 */
export class FakeChannel {
  private host: net.Socket | null = null;
  private guest: net.Socket | null = null;
  private readonly waitingHosts: net.Socket[] = [];
  /** Host connections accepted so far (a reconnect increments it). */
  hostConnections = 0;

  private constructor(
    readonly hostPath: string,
    readonly guestPath: string,
    private readonly hostServer: net.Server,
    private readonly guestServer: net.Server,
  ) {
    hostServer.on("connection", (socket) => {
      if (this.host) this.waitingHosts.push(socket);
      else this.attachHost(socket);
    });
    guestServer.on("connection", (socket) => this.attachGuest(socket));
  }

  static async create(dir: string): Promise<FakeChannel> {
    const hostPath = path.join(dir, "host.sock");
    const guestPath = path.join(dir, "guest.sock");
    const hostServer = net.createServer();
    const guestServer = net.createServer();
    hostServer.listen(hostPath);
    guestServer.listen(guestPath);
    await Promise.all([once(hostServer, "listening"), once(guestServer, "listening")]);
    return new FakeChannel(hostPath, guestPath, hostServer, guestServer);
  }

  get guestConnected(): boolean {
    return this.guest !== null;
  }

  /** Whether a host client holds the channel now (hostConnections counts every one there has been). */
  get hostConnected(): boolean {
    return this.host !== null;
  }

  /** Drops the host connection, as QEMU does when it exits. */
  dropHost(): void {
    this.host?.destroy();
  }

  async close(): Promise<void> {
    for (const s of [this.host, this.guest, ...this.waitingHosts]) s?.destroy();
    await Promise.all([new Promise((r) => this.hostServer.close(r)), new Promise((r) => this.guestServer.close(r))]);
  }

  private attachHost(socket: net.Socket): void {
    this.host = socket;
    this.hostConnections += 1;
    socket.on("data", (chunk) => this.guest?.write(chunk));
    if (!this.guest) socket.pause();
    const gone = () => {
      if (this.host !== socket) return;
      this.host = null;
      const next = this.waitingHosts.shift();
      if (next) this.attachHost(next);
    };
    socket.on("close", gone);
    socket.on("error", gone);
  }

  private attachGuest(socket: net.Socket): void {
    this.guest?.destroy();
    this.guest = socket;
    // With no host, what the guest writes is lost (the real port answers EAGAIN / drops it).
    socket.on("data", (chunk) => this.host?.write(chunk));
    this.host?.resume();
    const gone = () => {
      if (this.guest !== socket) return;
      this.guest = null;
      this.host?.pause();
    };
    socket.on("close", gone);
    socket.on("error", gone);
  }
}

/** The real agent bundle, attached to a FakeChannel's guest end. */
export class FakeGuestAgent {
  private child: ChildProcess | null = null;
  stderr = "";

  constructor(
    private readonly channel: FakeChannel,
    private readonly configPath: string,
  ) {}

  static async create(channel: FakeChannel, dir: string, config: Record<string, unknown> = {}): Promise<FakeGuestAgent> {
    const configPath = path.join(dir, "agent-config.json");
    await writeFile(configPath, JSON.stringify({ allowed_paths: [dir], exec_enabled: true, telemetry_interval_s: 0, log_level: "warn", ...config }));
    return new FakeGuestAgent(channel, configPath);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const bundle = await builtAgent();
    const child = spawn(process.execPath, [bundle, "--device", this.channel.guestPath, "--config", this.configPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child = child;
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await once(child, "exit");
  }
}

export interface FakeDomain {
  dom: protocol.NonnullDomain;
  running: boolean;
  /** Channels in the live XML: name → [socket path, state]. */
  channels: Record<string, { path: string; state: "connected" | "disconnected" }>;
}

/** The part of libvirt the hub uses, answering from a table of domains; events are pushed by the test. */
export class FakeLibvirt {
  readonly uri = "qemu:///system";
  readonly domains = new Map<string, FakeDomain>();
  private readonly listeners = new Set<DomainEventListener>();
  private nextId = 1;

  asConnection(): HubConnection {
    return this as unknown as HubConnection;
  }

  addDomain(uuid: string, name: string, channels: FakeDomain["channels"], running = true): FakeDomain {
    const domain: FakeDomain = { dom: { name, uuid: uuidFromString(uuid), id: running ? this.nextId++ : -1 }, running, channels };
    this.domains.set(uuid, domain);
    return domain;
  }

  setRunning(uuid: string, running: boolean): void {
    const d = this.domains.get(uuid)!;
    d.running = running;
    d.dom = { ...d.dom, id: running ? this.nextId++ : -1 };
  }

  emit(event: DomainEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  onStateChange(): () => void {
    return () => undefined;
  }

  async subscribeDomainEvents(listener: DomainEventListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async connectListAllDomains(): Promise<protocol.ConnectListAllDomainsRet> {
    const domains = [...this.domains.values()].filter((d) => d.running).map((d) => d.dom);
    return { domains, ret: domains.length };
  }

  async domainLookupByUuid({ uuid }: { uuid: Buffer }): Promise<protocol.NonnullDomain> {
    const found = [...this.domains.values()].find((d) => d.dom.uuid.equals(uuid));
    if (!found) throw libvirtError(VIR_ERR_NO_DOMAIN, "Domain not found", "domainLookupByUuid");
    return found.dom;
  }

  async domainGetXmlDesc({ dom }: { dom: protocol.NonnullDomain }): Promise<string> {
    const d = [...this.domains.values()].find((x) => x.dom.uuid.equals(dom.uuid))!;
    const channels = Object.entries(d.channels)
      .map(
        ([name, c]) =>
          `<channel type='unix'><source mode='bind' path='${d.running ? c.path : ""}'/><target type='virtio' name='${name}' state='${c.state}'/></channel>`,
      )
      .join("");
    return `<domain type='qemu'><name>${d.dom.name}</name><devices>${channels}</devices></domain>`;
  }

  async domainOpenChannel(): Promise<never> {
    throw new Error("FakeLibvirt has no streams");
  }
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-guest-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
