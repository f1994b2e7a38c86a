// The guest channel hub: for every running VM with the org.kvmmanager.agent.0 channel on every
// watched host it keeps an AgentSession, driven by libvirt's domain events (lifecycle, reboot,
// agent lifecycle, device added/removed) and a full scan whenever the host connection (re)opens.
// It also tracks whether stock qemu-guest-agent is connected (libvirt reports that channel's state
// and its agentLifecycle events), which the facts and power services use.
import { EventEmitter } from "node:events";
import type { MethodName, MethodParams, MethodResult, Telemetry } from "@/agent/protocol";
import { parseDomainXml, type ChannelInfo } from "../domains/xml";
import {
  VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED,
  VIR_CONNECT_LIST_DOMAINS_ACTIVE,
  VIR_DOMAIN_EVENT_RESUMED,
  VIR_DOMAIN_EVENT_STARTED,
  VIR_DOMAIN_EVENT_STOPPED,
  VIR_DOMAIN_EVENT_UNDEFINED,
  isNoDomain,
  uuidFromString,
  uuidToString,
  type Connection,
  type DomainEvent,
  type DomainEventKind,
  type protocol,
} from "../libvirt";
import { getConnection } from "../libvirt/registry";
import { auditTargets } from "../audit/targets";
import { AGENT_CHANNEL } from "../domains/xml-names";
import { Backoff, Sleeper } from "./backoff";
import { channelTransport, guestChannels, type ChannelMode } from "./channels";
import { GuestError, errorText } from "./errors";
import { AgentSession, disconnectedStatus, type AgentCallOptions, type AgentStatus, type SessionTuning } from "./session";
import { isAccessError, openChannelSocket, openChannelStream } from "./transport";

/** The part of a libvirt Connection the hub uses (tests substitute a fake). */
export type HubConnection = Pick<
  Connection,
  "uri" | "onStateChange" | "subscribeDomainEvents" | "connectListAllDomains" | "domainLookupByUuid" | "domainGetXmlDesc" | "domainOpenChannel"
>;

export interface HostRef {
  id: string;
  uri: string;
}

export interface GuestHubOptions {
  /** The hosts to watch; re-read by refreshHosts(). Default: none (hosts are added by track()). */
  hosts?: () => HostRef[] | Promise<HostRef[]>;
  /** The libvirt connection of a host. Default: the process-wide registry's. */
  connect?: (host: HostRef) => HubConnection;
  /** How channels are reached; default `auto` (unix socket for local hosts, libvirt stream otherwise). */
  channelMode?: ChannelMode;
  tuning?: Partial<SessionTuning>;
}

export interface QgaStatus {
  /** The VM has the org.qemu.guest_agent.0 channel. */
  channel: boolean;
  /** qemu-ga holds its end of the channel (libvirt's view). */
  connected: boolean;
}

export interface GuestStatus {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  agent: AgentStatus & { channel: boolean };
  qga: QgaStatus;
}

export interface GuestHubEvents {
  status: [status: GuestStatus];
  telemetry: [event: { hostId: string; uuid: string; metrics: Telemetry; at: string }];
}

const EVENT_KINDS: DomainEventKind[] = ["lifecycle", "reboot", "agentLifecycle", "deviceAdded", "deviceRemoved"];

interface VmRecord {
  uuid: string;
  name: string;
  dom: protocol.NonnullDomain;
  agentChannel: ChannelInfo | null;
  qgaChannel: ChannelInfo | null;
  qgaConnected: boolean;
  session: AgentSession | null;
}

export class GuestHub extends EventEmitter<GuestHubEvents> {
  private readonly watchers = new Map<string, HostWatcher>();
  private stopped = false;

  constructor(readonly options: GuestHubOptions = {}) {
    super();
    this.setMaxListeners(0);
  }

  get channelMode(): ChannelMode {
    return this.options.channelMode ?? "auto";
  }

  /** Starts watching the configured hosts. Unreachable hosts are retried in the background. */
  async start(): Promise<void> {
    await this.refreshHosts();
  }

  /** Re-reads the host list: watches new hosts, drops removed ones, follows changed URIs. */
  async refreshHosts(): Promise<void> {
    if (this.stopped || !this.options.hosts) return;
    const hosts = await this.options.hosts();
    const wanted = new Map(hosts.map((h) => [h.id, h]));
    await Promise.all(
      [...this.watchers.values()]
        .filter((w) => wanted.get(w.host.id)?.uri !== w.host.uri)
        .map((w) => {
          this.watchers.delete(w.host.id);
          return w.stop();
        }),
    );
    await Promise.all(hosts.filter((h) => !this.watchers.has(h.id)).map((h) => this.watch(h).ready));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(all.map((w) => w.stop()));
  }

  /** The hub's view of a VM, or null when it does not know it (not running, or its host is not watched). */
  status(hostId: string, uuid: string): GuestStatus | null {
    return this.watchers.get(hostId)?.status(uuid.toLowerCase()) ?? null;
  }

  /** Every VM the hub knows, optionally of one host. */
  list(hostId?: string): GuestStatus[] {
    const watchers = hostId ? [this.watchers.get(hostId)].filter((w) => w !== undefined) : [...this.watchers.values()];
    return watchers.flatMap((w) => w.list());
  }

  /**
   * Makes sure the hub watches this VM (and its host, with the given connection), inspecting it
   * now if the hub has not seen it yet. Returns its status.
   */
  async track(host: { id: string; conn: HubConnection }, dom: protocol.NonnullDomain): Promise<GuestStatus> {
    if (this.stopped) throw new GuestError("stopped", "the guest hub is stopped");
    let watcher = this.watchers.get(host.id);
    if (!watcher) watcher = this.watch({ id: host.id, uri: host.conn.uri }, host.conn);
    const uuid = uuidToString(dom.uuid);
    if (!watcher.status(uuid)) await watcher.inspectNow(dom);
    return watcher.status(uuid) ?? notRunning(host.id, uuid, dom.name);
  }

  /** Calls a method of the VM's agent. Fails with GuestError when there is no connected agent. */
  async call<M extends MethodName>(hostId: string, uuid: string, method: M, params?: MethodParams<M>, options?: AgentCallOptions): Promise<MethodResult<M>> {
    const watcher = this.watchers.get(hostId);
    if (!watcher) throw new GuestError("not_connected", `the guest hub does not watch host "${hostId}"`);
    return watcher.session(uuid.toLowerCase()).call(method, params, options);
  }

  /** Resolves once the VM's agent is connected (for tests and scripts). */
  async waitForAgent(hostId: string, uuid: string, timeoutMs: number): Promise<GuestStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.status(hostId, uuid);
      if (status?.agent.state === "connected") return status;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new GuestError("not_connected", `the guest agent of ${uuid} did not connect within ${timeoutMs} ms (${status?.agent.lastError ?? "unknown VM"})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1_000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.once("status", done);
      });
    }
  }

  private watch(host: HostRef, conn?: HubConnection): HostWatcher {
    const connection = conn ?? this.options.connect?.(host) ?? getConnection(host.id, host.uri);
    const watcher = new HostWatcher(this, host, connection);
    this.watchers.set(host.id, watcher);
    return watcher;
  }
}

function notRunning(hostId: string, uuid: string, name: string): GuestStatus {
  return {
    hostId,
    uuid,
    name,
    running: false,
    agent: { ...disconnectedStatus(), channel: false },
    qga: { channel: false, connected: false },
  };
}

/** One host: its event subscription, its running VMs and their sessions. */
class HostWatcher {
  readonly ready: Promise<void>;
  private readonly vms = new Map<string, VmRecord>();
  /** Per-VM chain, so that a STARTED and a STOPPED event for one VM are handled in order. */
  private readonly queues = new Map<string, Promise<void>>();
  private unsubscribe: (() => Promise<void>) | null = null;
  private offState: (() => void) | null = null;
  private stopped = false;
  private readonly sleeper = new Sleeper();
  private scanning: Promise<void> | null = null;
  private rescan = false;

  constructor(
    private readonly hub: GuestHub,
    readonly host: HostRef,
    private readonly conn: HubConnection,
  ) {
    this.ready = this.start();
  }

  status(uuid: string): GuestStatus | null {
    const rec = this.vms.get(uuid);
    return rec ? this.describe(rec) : null;
  }

  list(): GuestStatus[] {
    return [...this.vms.values()].map((rec) => this.describe(rec));
  }

  session(uuid: string): AgentSession {
    const rec = this.vms.get(uuid);
    // The caller prefixes these with the VM's name and host (toServiceError).
    if (!rec) throw new GuestError("not_running", "the VM is not running (or the hub has not seen it start yet)");
    if (!rec.session) throw new GuestError("no_channel", `the VM has no ${AGENT_CHANNEL} channel for the KVM Manager agent`);
    return rec.session;
  }

  inspectNow(dom: protocol.NonnullDomain): Promise<void> {
    return this.enqueue(uuidToString(dom.uuid), () => this.inspect(dom));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    this.offState?.();
    await this.ready.catch(() => undefined);
    await this.unsubscribe?.().catch(() => undefined);
    const records = [...this.vms.values()];
    this.vms.clear();
    await Promise.all(records.map((rec) => rec.session?.stop()));
  }

  private async start(): Promise<void> {
    this.offState = this.conn.onStateChange((state) => {
      // libvirtd came back: VMs may have started or stopped meanwhile, and events were missed.
      if (state === "open" && this.unsubscribe) void this.scan();
    });
    void this.subscribeLoop();
    await this.scan();
  }

  private async subscribeLoop(): Promise<void> {
    const backoff = new Backoff(1_000, 30_000);
    while (!this.stopped) {
      try {
        const unsubscribe = await this.conn.subscribeDomainEvents(this.onEvent, EVENT_KINDS);
        if (this.stopped) {
          await unsubscribe().catch(() => undefined);
          return;
        }
        this.unsubscribe = unsubscribe;
        // Events from before the subscription were missed.
        void this.scan();
        return;
      } catch (err) {
        console.error(`guest hub: host "${this.host.id}": cannot subscribe to domain events: ${errorText(err)}`);
        await this.sleeper.sleep(backoff.next());
      }
    }
  }

  /** Lists the running VMs and inspects each; forgets the ones that stopped. Single flight. */
  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        await this.scanOnce().catch((err: unknown) => {
          if (!this.stopped) console.error(`guest hub: host "${this.host.id}": scan failed: ${errorText(err)}`);
        });
      } while (this.rescan && !this.stopped);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const { domains } = await this.conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_ACTIVE });
    if (this.stopped) return;
    const seen = new Set(domains.map((d) => uuidToString(d.uuid)));
    const work = [...this.vms.keys()].filter((uuid) => !seen.has(uuid)).map((uuid) => this.enqueue(uuid, () => this.forget(uuid)));
    // A few at a time: each inspection is a libvirt round trip and an XML parse.
    const pending = [...domains];
    const worker = async () => {
      for (let dom = pending.shift(); dom; dom = pending.shift()) {
        const d = dom;
        await this.enqueue(uuidToString(d.uuid), () => this.inspect(d));
      }
    };
    work.push(...Array.from({ length: Math.min(4, pending.length) }, worker));
    await Promise.all(work);
  }

  private readonly onEvent = (event: DomainEvent): void => {
    if (this.stopped) return;
    if (
      event.kind !== "lifecycle" &&
      event.kind !== "reboot" &&
      event.kind !== "agentLifecycle" &&
      event.kind !== "deviceAdded" &&
      event.kind !== "deviceRemoved"
    )
      return;
    const uuid = uuidToString(event.dom.uuid);
    switch (event.kind) {
      case "lifecycle":
        if (event.event === VIR_DOMAIN_EVENT_STARTED || event.event === VIR_DOMAIN_EVENT_RESUMED) {
          void this.enqueue(uuid, () => this.inspect(event.dom));
        } else if (event.event === VIR_DOMAIN_EVENT_STOPPED || event.event === VIR_DOMAIN_EVENT_UNDEFINED) {
          void this.enqueue(uuid, () => this.forget(uuid));
        }
        return;
      case "reboot":
        this.vms.get(uuid)?.session?.guestReset();
        return;
      case "agentLifecycle": {
        const rec = this.vms.get(uuid);
        if (!rec) {
          void this.enqueue(uuid, () => this.inspect(event.dom));
          return;
        }
        rec.qgaConnected = event.state === VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED;
        this.emitStatus(rec);
        return;
      }
      case "deviceAdded":
      case "deviceRemoved":
        void this.enqueue(uuid, () => this.inspect(event.dom));
        return;
    }
  };

  private enqueue(uuid: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(uuid) ?? Promise.resolve();
    const next = previous.then(task).catch((err: unknown) => {
      if (!this.stopped) console.error(`guest hub: host "${this.host.id}" VM ${uuid}: ${errorText(err)}`);
    });
    this.queues.set(uuid, next);
    void next.finally(() => {
      if (this.queues.get(uuid) === next) this.queues.delete(uuid);
    });
    return next;
  }

  /** Reads the VM's live XML and starts, keeps or stops its session accordingly. */
  private async inspect(dom: protocol.NonnullDomain): Promise<void> {
    if (this.stopped) return;
    const uuid = uuidToString(dom.uuid);
    let current = dom;
    let xml: string;
    try {
      // Events carry the domain as it was; the id tells whether it runs now.
      current = await this.conn.domainLookupByUuid({ uuid: uuidFromString(uuid) });
      xml = await this.conn.domainGetXmlDesc({ dom: current, flags: 0 });
    } catch (err) {
      if (isNoDomain(err)) return this.forget(uuid);
      throw err;
    }
    if (this.stopped) return;
    if (current.id <= 0) return this.forget(uuid);
    const details = parseDomainXml(xml);
    const channels = guestChannels(details.channels);
    let rec = this.vms.get(uuid);
    if (!rec) {
      rec = { uuid, name: current.name, dom: current, agentChannel: null, qgaChannel: null, qgaConnected: false, session: null };
      this.vms.set(uuid, rec);
    }
    rec.name = current.name;
    rec.dom = current;
    rec.agentChannel = channels.agent;
    rec.qgaChannel = channels.qga;
    rec.qgaConnected = channels.qga?.state === "connected";
    if (channels.agent && !rec.session) {
      rec.session = this.newSession(rec);
      rec.session.start();
    } else if (!channels.agent && rec.session) {
      const session = rec.session;
      rec.session = null;
      await session.stop();
    } else {
      rec.session?.nudge();
    }
    this.emitStatus(rec);
  }

  private async forget(uuid: string): Promise<void> {
    const rec = this.vms.get(uuid);
    if (!rec) return;
    this.vms.delete(uuid);
    await rec.session?.stop();
    this.hub.emit("status", { ...this.describe(rec), running: false, qga: { channel: rec.qgaChannel !== null, connected: false } });
  }

  private newSession(rec: VmRecord): AgentSession {
    const context = auditTargets.vm(this.host.id, rec.name);
    const session = new AgentSession({
      context,
      tuning: this.hub.options.tuning,
      guestConnected: () => rec.agentChannel?.state !== "disconnected",
      open: async () => {
        const channel = rec.agentChannel;
        if (!channel) throw new Error("the VM has no agent channel");
        const mode = channelTransport(this.conn.uri, this.hub.channelMode, channel);
        if (mode === "socket" && channel.path) {
          try {
            return await openChannelSocket(channel.path);
          } catch (err) {
            // Not allowed to use QEMU's socket directly (another user owns it): libvirtd may.
            if (this.hub.channelMode !== "auto" || !isAccessError(err)) throw err;
          }
        }
        return openChannelStream(this.conn, rec.dom, channel.name ?? undefined);
      },
    });
    session.on("status", () => this.emitStatus(rec));
    session.on("telemetry", (metrics, at) => this.hub.emit("telemetry", { hostId: this.host.id, uuid: rec.uuid, metrics, at }));
    return session;
  }

  private describe(rec: VmRecord): GuestStatus {
    return {
      hostId: this.host.id,
      uuid: rec.uuid,
      name: rec.name,
      running: true,
      agent: { ...(rec.session?.status() ?? disconnectedStatus()), channel: rec.agentChannel !== null },
      qga: { channel: rec.qgaChannel !== null, connected: rec.qgaConnected },
    };
  }

  private emitStatus(rec: VmRecord): void {
    if (this.vms.get(rec.uuid) === rec) this.hub.emit("status", this.describe(rec));
  }
}
