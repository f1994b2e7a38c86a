/**
 * The stateful side of alert evaluation: keeps the pure core's state between ticks, gathers what the
 * core needs that a tick does not carry (lifecycle events, agent connections, tags, whether a user
 * asked for a stop), records what the core says in the database and tells the event bus. The
 * contract with the collector is in server/alerts/README.md.
 */
import { and, desc, eq, gte, inArray, like, or } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { db as sharedDb } from "@/server/db/client";
import { auditLog } from "@/server/db/schema";
import { publish as busPublish, subscribe as busSubscribe, type ManagerEvent } from "@/server/events/bus";
import { uuidFromString } from "@/server/libvirt";
import { resolveHost } from "@/server/hosts/connection";
import { tagsOf as libvirtTagsOf } from "@/server/domains/tags";
import type { MetricsTick } from "@/server/metrics/sample";
import { EMPTY_STATE, evaluate, stopCouldBeRequested, type EvalState, type LifecycleFact } from "./evaluate";
import { activeFiring, activeSilences, enabledRules, recordEvents, seedDefaultRules, type AlertRow } from "./store";
import { alertView } from "./view";
import { enqueueNotifications } from "@/server/notifications/queue";

/**
 * How long after a user asked a VM to shut down or be forced off its stop still counts as asked
 * for: an ACPI shutdown can take the guest minutes. Longer than the UI's wait before it offers the
 * forced action (POWER_REQUEST_WAIT_MS, 60 s), so a slow guest shut down from the UI fires nothing.
 */
export const STOP_REQUEST_WINDOW_MS = 15 * 60_000;

/**
 * The audit row of a request is written when the call answers, which can be just after libvirt's
 * event arrived (a forced off returns once QEMU is gone). A shutdown or destroy younger than this
 * with no request found yet waits for the next tick before it counts as nobody's doing.
 */
export const REQUEST_GRACE_MS = 2_000;

/** Lifecycle events kept per host between two of its ticks; a tick normally drains a handful. */
const MAX_BUFFERED_EVENTS = 10_000;

const STOP_ACTIONS = ["shutdown", "forceOff"];
/** Audited calls that stop the VM whatever their input: deleting it, and a shutdown through our guest agent. */
const ALWAYS_STOPS = ["vms.delete", "guest.shutdown"];

/**
 * Whether the latest power request a user made of this VM through the manager (vms.power,
 * vms.batch, vms.delete, guest.shutdown: all audited with the VM's uuid in their input) within the
 * window before the stop was a stop. A start after the shutdown request means the later stop is not the one asked for.
 */
export function userRequestedStop(db: Db, fact: Pick<LifecycleFact, "uuid" | "at">): boolean {
  const row = db
    .select({ action: auditLog.action, input: auditLog.input })
    .from(auditLog)
    .where(
      and(
        inArray(auditLog.action, ["vms.power", "vms.batch", ...ALWAYS_STOPS]),
        eq(auditLog.result, "ok"),
        gte(auditLog.at, new Date(fact.at - STOP_REQUEST_WINDOW_MS)),
        like(auditLog.input, `%"uuid":"${fact.uuid}"%`),
        or(inArray(auditLog.action, ALWAYS_STOPS), like(auditLog.input, '%"action":"%')),
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(1)
    .get();
  if (!row) return false;
  if (ALWAYS_STOPS.includes(row.action)) return true;
  const action = /"action":"([A-Za-z]+)"/.exec(row.input ?? "")?.[1];
  return action !== undefined && STOP_ACTIONS.includes(action);
}

export interface EvaluatorDeps {
  db: Db;
  now?: () => number;
  /** A VM's tags (libvirt metadata, cached by server/domains/tags.ts by default). */
  tagsOf?: (hostId: string, uuid: string, name: string) => Promise<readonly string[]>;
  userRequestedStop?: (fact: Pick<LifecycleFact, "uuid" | "at">) => boolean;
  publish?: (event: ManagerEvent) => void;
  /** Queues webhook and e-mail notifications of what fired or resolved (server/notifications/queue.ts); never sends. */
  notify?: (rows: readonly AlertRow[], now: number) => void;
  subscribe?: (listener: (event: ManagerEvent) => void) => () => void;
}

export class AlertEvaluator {
  private state: EvalState = EMPTY_STATE;
  private readonly lifecycle = new Map<string, LifecycleFact[]>();
  /** Our agent's connection per VM (`hostId/uuid`), for VMs whose agent was ever seen connected. */
  private readonly agents = new Map<string, boolean>();
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: EvaluatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Seeds the default rules, takes the active alerts as they are (a restart fires nothing again), listens to the bus. */
  start(): void {
    seedDefaultRules(this.deps.db, this.now());
    this.state = { pending: new Map(), firing: activeFiring(this.deps.db) };
    this.unsubscribe = (this.deps.subscribe ?? busSubscribe)((event) => this.onBusEvent(event));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  onBusEvent(event: ManagerEvent): void {
    if (event.type === "domain.lifecycle") {
      const list = this.lifecycle.get(event.hostId) ?? [];
      // A host whose ticks stopped coming (removed, collector stopped) must not grow this forever.
      if (list.length >= MAX_BUFFERED_EVENTS) list.shift();
      list.push({ hostId: event.hostId, uuid: event.uuid, name: event.name, event: event.event, detail: event.detail, at: this.now(), userRequested: false });
      this.lifecycle.set(event.hostId, list);
    } else if (event.type === "guest.status") {
      const key = `${event.hostId}/${event.uuid}`;
      if (event.agent || this.agents.has(key)) this.agents.set(key, event.agent);
    }
  }

  /** Evaluates one host's tick; ticks are evaluated one after another, in the order they came. */
  onTick(tick: MetricsTick): Promise<AlertRow[]> {
    const run = this.queue.then(() => this.evaluateTick(tick));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async evaluateTick(tick: MetricsTick): Promise<AlertRow[]> {
    const { db } = this.deps;
    const now = this.now();
    const hostId = tick.host.hostId;
    const rules = enabledRules(db);
    const silences = activeSilences(db, now);

    const buffered = this.lifecycle.get(hostId) ?? [];
    const lifecycle: LifecycleFact[] = [];
    const later: LifecycleFact[] = [];
    const asked = this.deps.userRequestedStop ?? ((fact) => userRequestedStop(db, fact));
    for (const fact of buffered) {
      if (!stopCouldBeRequested(fact.event, fact.detail)) lifecycle.push(fact);
      else if (asked(fact)) lifecycle.push({ ...fact, userRequested: true });
      else if (now - fact.at < REQUEST_GRACE_MS) later.push(fact);
      else lifecycle.push(fact);
    }
    // Later events of a VM wait with its deferred stop, so the core sees them in order.
    const waiting = new Set(later.map((f) => f.uuid));
    const ready = lifecycle.filter((f) => !waiting.has(f.uuid));
    this.lifecycle.set(
      hostId,
      [...lifecycle.filter((f) => waiting.has(f.uuid)), ...later].sort((a, b) => a.at - b.at),
    );

    const tags = await this.tagsNeeded(tick, ready, rules.some((r) => r.scope.kind === "tag") || silences.some((s) => s.kind === "tag"));
    const { state, events } = evaluate(this.state, {
      now,
      tick,
      rules,
      silences,
      lifecycle: ready,
      tagsOf: (h, uuid) => tags.get(`${h}/${uuid}`) ?? [],
      agentConnected: (h, uuid) => this.agents.get(`${h}/${uuid}`),
    });
    const rows = recordEvents(db, events);
    this.state = state;
    const publish = this.deps.publish ?? busPublish;
    try {
      (this.deps.notify ?? ((r, at) => enqueueNotifications(db, r, at)))(rows, now);
    } catch (err) {
      // The alerts are recorded and still go to the app; only their webhooks and e-mails are lost.
      console.error(`alerts: queueing notifications for host "${hostId}" failed:`, err);
    }
    for (const row of rows) if (!row.silenced) publish({ type: "alert", hostId: row.hostId, uuid: row.uuid, name: row.vmName, alert: alertView(row) });
    return rows;
  }

  /** Tags of the tick's VMs and of those with events, fetched only when a rule or silence names a tag. */
  private async tagsNeeded(tick: MetricsTick, lifecycle: readonly LifecycleFact[], needed: boolean): Promise<Map<string, readonly string[]>> {
    const tags = new Map<string, readonly string[]>();
    if (!needed) return tags;
    const lookup = this.deps.tagsOf ?? ((hostId: string, uuid: string, name: string) => defaultTagsOf(this.deps.db, hostId, uuid, name));
    const vms = new Map<string, string>();
    for (const vm of tick.vms) vms.set(vm.uuid, vm.name);
    for (const fact of lifecycle) vms.set(fact.uuid, fact.name);
    await Promise.all(
      [...vms].map(async ([uuid, name]) => {
        // A VM whose tags cannot be read now (it just vanished, libvirt is slow) matches no tag this tick.
        tags.set(`${tick.host.hostId}/${uuid}`, await lookup(tick.host.hostId, uuid, name).catch(() => []));
      }),
    );
    return tags;
  }
}

function defaultTagsOf(db: Db, hostId: string, uuid: string, name: string): Promise<string[]> {
  const host = resolveHost(db, hostId);
  return libvirtTagsOf(hostId, host.conn, { name, uuid: uuidFromString(uuid), id: -1 }, uuid);
}

/**
 * The one line the server's start-up runs to evaluate alerts after every collector tick:
 * `wireAlerts(onTick)` with the collector's `onTick(listener)`. Returns the stop function.
 */
export function wireAlerts(onTick: (listener: (tick: MetricsTick) => void) => () => void, db: Db = sharedDb()): () => void {
  const evaluator = new AlertEvaluator({ db });
  evaluator.start();
  const off = onTick((tick) => {
    evaluator.onTick(tick).catch((err: unknown) => console.error(`alerts: evaluating the tick of host "${tick.host.hostId}" failed:`, err));
  });
  return () => {
    off();
    evaluator.stop();
  };
}
