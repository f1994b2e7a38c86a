/**
 * The alert evaluator's pure core: the state it left after the last tick, one host's tick (and the
 * lifecycle events of that host since then) in; the new state and the alerts that fired or resolved
 * out. No clock, no database, no libvirt: server/alerts/evaluator.ts feeds it and records what it says.
 */
import {
  VIR_DOMAIN_EVENT_STOPPED_CRASHED,
  VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
  VIR_DOMAIN_EVENT_STOPPED_FAILED,
  VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN,
} from "@/server/libvirt/generated/constants";
import type { MetricKey, MetricsTick, VmSample } from "@/server/metrics/sample";
import type { LifecycleEventName } from "@/server/events/bus";
import type { SilenceKind } from "./kinds";
import { DERIVED_METRICS, isEventKind, subjectOf, type AlertRule, type DerivedMetricKey } from "./rules";

/** What an alert is about: a VM (uuid set) or a host (uuid null). */
export interface AlertSubject {
  hostId: string;
  uuid: string | null;
  name: string | null;
}

export function subjectKey(s: Pick<AlertSubject, "hostId" | "uuid">): string {
  return s.uuid ? `vm:${s.hostId}/${s.uuid}` : `host:${s.hostId}`;
}

/** The key of one rule's alert on one subject: at most one alert is active per key. */
export function alertKey(ruleId: number, s: Pick<AlertSubject, "hostId" | "uuid">): string {
  return `${ruleId}|${subjectKey(s)}`;
}

export interface FiringAlert {
  ruleId: number;
  /** What the rule watched when it fired: a rule changed to watch something else starts afresh. */
  metric: string;
  subject: AlertSubject;
  firedAt: number;
}

export interface EvalState {
  /** Since when each (rule, subject) has been past its threshold without having fired yet. */
  readonly pending: ReadonlyMap<string, number>;
  /** Active alerts (firing or acknowledged: acknowledging does not end an alert, resolving does). */
  readonly firing: ReadonlyMap<string, FiringAlert>;
}

export const EMPTY_STATE: EvalState = { pending: new Map(), firing: new Map() };

/** A libvirt lifecycle event of a VM since the last tick, as the bus carried it. */
export interface LifecycleFact {
  hostId: string;
  uuid: string;
  name: string;
  event: LifecycleEventName;
  detail: number;
  at: number;
  /** Whether a user of the manager asked for this VM to stop (see server/alerts/README.md). */
  userRequested: boolean;
}

export interface ActiveSilence {
  kind: SilenceKind;
  value: string;
}

export interface EvalInput {
  now: number;
  tick: MetricsTick;
  /** The enabled rules; an active alert whose rule is missing here (deleted, disabled) resolves. */
  rules: readonly AlertRule[];
  /** A VM's tags; only asked when a rule or silence names a tag. */
  tagsOf: (hostId: string, uuid: string) => readonly string[];
  /** Whether our agent is connected in the VM; undefined when it was never seen connected (nothing to lose). */
  agentConnected: (hostId: string, uuid: string) => boolean | undefined;
  /** This host's VM lifecycle events since its last tick, oldest first. */
  lifecycle: readonly LifecycleFact[];
  silences: readonly ActiveSilence[];
}

export type AlertEvent =
  | { kind: "fired"; rule: AlertRule; subject: AlertSubject; value: number | null; at: number; silenced: boolean }
  | { kind: "resolved"; ruleId: number; subject: AlertSubject; value: number | null; at: number };

/**
 * Whether a VM's stop is one nobody asked for. libvirt's detail says how it stopped: FAILED is QEMU
 * dying under libvirt (killed from a shell, an abort, the OOM killer); CRASHED and the crashed event
 * are a guest panic libvirt was told of. Those are never a user's doing. SHUTDOWN (the guest powered
 * off) and DESTROYED (someone called destroy) are a user's doing when a user of the manager asked,
 * and otherwise a VM that stopped without a user action, which the rule is about too. MIGRATED,
 * SAVED and FROM_SNAPSHOT are operations that move or replace the VM on purpose.
 */
export function isUnexpectedStop(fact: Pick<LifecycleFact, "event" | "detail" | "userRequested">): boolean {
  if (fact.event === "crashed") return true;
  if (fact.event !== "stopped") return false;
  if (fact.detail === VIR_DOMAIN_EVENT_STOPPED_FAILED || fact.detail === VIR_DOMAIN_EVENT_STOPPED_CRASHED) return true;
  if (fact.detail === VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN || fact.detail === VIR_DOMAIN_EVENT_STOPPED_DESTROYED) return !fact.userRequested;
  return false;
}

/** Stops a user could have asked for: the evaluator has to look up whether one did. */
export function stopCouldBeRequested(event: LifecycleEventName, detail: number): boolean {
  return event === "stopped" && (detail === VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN || detail === VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
}

function metricValue(metric: MetricKey | DerivedMetricKey, values: Partial<Record<string, number | null>>): number | null {
  if (metric in DERIVED_METRICS) {
    const { used, total } = DERIVED_METRICS[metric as DerivedMetricKey];
    const u = values[used];
    const t = values[total];
    return u == null || t == null || t <= 0 ? null : (u / t) * 100;
  }
  return values[metric] ?? null;
}

/**
 * What one observation says about a (rule, subject): `breach` past the threshold, `clear` past the
 * resolve threshold the other way, `unknown` (no figure this tick: keep whatever was going on), or
 * `between` (neither: a pending window restarts, a firing alert stays: hysteresis).
 */
type Verdict = { kind: "breach" | "clear" | "between"; value: number | null } | { kind: "unknown" };

function compare(rule: AlertRule, value: number | null): Verdict {
  if (value === null) return { kind: "unknown" };
  const breach = rule.comparison === ">" ? value > rule.threshold : value < rule.threshold;
  if (breach) return { kind: "breach", value };
  const clear = rule.comparison === ">" ? value < rule.resolveThreshold : value > rule.resolveThreshold;
  return { kind: clear ? "clear" : "between", value };
}

function matchesScope(rule: AlertRule, subject: AlertSubject, tags: () => readonly string[]): boolean {
  const scope = rule.scope;
  switch (scope.kind) {
    case "all":
      return true;
    case "host":
      return scope.hostId === subject.hostId;
    case "tag":
      return subject.uuid !== null && tags().includes(scope.tag);
    case "vm":
      return scope.hostId === subject.hostId && scope.uuid === subject.uuid;
  }
}

function isSilenced(silences: readonly ActiveSilence[], rule: AlertRule, subject: AlertSubject, tags: () => readonly string[]): boolean {
  return silences.some((s) => {
    if (s.kind === "rule") return s.value === String(rule.id);
    if (subject.uuid === null) return false;
    if (s.kind === "vm") return s.value === `${subject.hostId}/${subject.uuid}`;
    return tags().includes(s.value);
  });
}

export function evaluate(state: EvalState, input: EvalInput): { state: EvalState; events: AlertEvent[] } {
  const { tick, now } = input;
  const hostId = tick.host.hostId;
  const pending = new Map(state.pending);
  const firing = new Map(state.firing);
  const events: AlertEvent[] = [];
  const silences = input.silences;

  const tagCache = new Map<string, readonly string[]>();
  const tagsFor = (subject: AlertSubject) => () => {
    if (subject.uuid === null) return [];
    let tags = tagCache.get(subject.uuid);
    if (!tags) tagCache.set(subject.uuid, (tags = input.tagsOf(subject.hostId, subject.uuid)));
    return tags;
  };

  const fire = (rule: AlertRule, subject: AlertSubject, value: number | null) => {
    const key = alertKey(rule.id, subject);
    pending.delete(key);
    firing.set(key, { ruleId: rule.id, metric: rule.metric, subject, firedAt: now });
    events.push({ kind: "fired", rule, subject, value, at: now, silenced: isSilenced(silences, rule, subject, tagsFor(subject)) });
  };
  const resolve = (key: string, value: number | null) => {
    pending.delete(key);
    const active = firing.get(key);
    if (!active) return;
    firing.delete(key);
    events.push({ kind: "resolved", ruleId: active.ruleId, subject: active.subject, value, at: now });
  };

  /** A threshold-style observation, `for` included: fires once the breach has lasted `forMs`. */
  const observe = (rule: AlertRule, subject: AlertSubject, verdict: Verdict) => {
    const key = alertKey(rule.id, subject);
    if (verdict.kind === "unknown") return;
    if (firing.has(key)) {
      if (verdict.kind === "clear") resolve(key, verdict.value);
      return;
    }
    if (verdict.kind !== "breach") {
      pending.delete(key);
      return;
    }
    const since = pending.get(key) ?? now;
    if (now - since >= rule.forMs) fire(rule, subject, verdict.value);
    else pending.set(key, since);
  };

  // Alerts of rules that are gone, disabled or now watch another metric end now rather than stay active forever.
  const enabled = new Map(input.rules.map((r) => [r.id, r]));
  for (const [key, active] of state.firing) {
    if (active.subject.hostId === hostId && enabled.get(active.ruleId)?.metric !== active.metric) resolve(key, null);
  }
  for (const key of state.pending.keys()) if (!enabled.has(Number(key.split("|")[0]))) pending.delete(key);

  const vms = new Map<string, VmSample>(tick.vms.map((vm) => [vm.uuid, vm]));
  const hostSubject: AlertSubject = { hostId, uuid: null, name: null };

  for (const rule of input.rules) {
    if (subjectOf(rule.metric) === "host") {
      if (!matchesScope(rule, hostSubject, () => [])) continue;
      if (rule.metric === "host.unreachable") {
        observe(rule, hostSubject, tick.host.reachable ? { kind: "clear", value: null } : { kind: "breach", value: null });
      } else {
        observe(rule, hostSubject, compare(rule, tick.host.reachable ? metricValue(rule.metric as MetricKey, tick.host.values) : null));
      }
      continue;
    }

    if (rule.metric === "vm.crashed") {
      evaluateCrashes(rule, input, vms, firing, fire, resolve, tagsFor);
      continue;
    }

    // Nothing is known of the VMs of a host that does not answer: their alerts stay as they are.
    if (!tick.host.reachable) continue;
    const seen = new Set<string>();
    for (const vm of tick.vms) {
      const subject: AlertSubject = { hostId, uuid: vm.uuid, name: vm.name };
      if (!matchesScope(rule, subject, tagsFor(subject))) continue;
      seen.add(alertKey(rule.id, subject));
      // A stopped VM has nothing to measure and no agent to lose: its alerts of this kind end.
      if (!vm.running) {
        observe(rule, subject, { kind: "clear", value: null });
      } else if (rule.metric === "agent.lost") {
        const connected = input.agentConnected(hostId, vm.uuid);
        observe(rule, subject, connected === undefined ? { kind: "unknown" } : connected ? { kind: "clear", value: null } : { kind: "breach", value: null });
      } else if (!isEventKind(rule.metric)) {
        observe(rule, subject, compare(rule, metricValue(rule.metric, vm.values)));
      }
    }
    // A VM this rule watched that the host no longer lists (undefined, or moved out of scope).
    for (const [key, active] of firing) if (active.ruleId === rule.id && active.subject.hostId === hostId && !seen.has(key)) resolve(key, null);
    for (const key of pending.keys()) if (key.startsWith(`${rule.id}|vm:${hostId}/`) && !seen.has(key)) pending.delete(key);
  }
  return { state: { pending, firing }, events };
}

/**
 * vm.crashed fires on the first tick after a stop nobody asked for (no `for`: the stop has
 * happened), and resolves once the VM runs again. A VM that vanished with its stop (a transient
 * one) is known only from its events, so subjects come from the events as well as the tick.
 */
function evaluateCrashes(
  rule: AlertRule,
  input: EvalInput,
  vms: ReadonlyMap<string, VmSample>,
  firing: ReadonlyMap<string, FiringAlert>,
  fire: (rule: AlertRule, subject: AlertSubject, value: number | null) => void,
  resolve: (key: string, value: number | null) => void,
  tagsFor: (subject: AlertSubject) => () => readonly string[],
) {
  const hostId = input.tick.host.hostId;
  const byVm = new Map<string, LifecycleFact[]>();
  for (const fact of input.lifecycle) {
    if (fact.hostId !== hostId) continue;
    const list = byVm.get(fact.uuid) ?? [];
    list.push(fact);
    byVm.set(fact.uuid, list);
  }
  for (const [uuid, facts] of byVm) {
    const lastCrash = facts.findLastIndex((f) => isUnexpectedStop(f));
    const crash = facts[lastCrash];
    if (!crash) continue;
    const subject: AlertSubject = { hostId, uuid, name: crash.name };
    if (!matchesScope(rule, subject, tagsFor(subject))) continue;
    const key = alertKey(rule.id, subject);
    if (!firing.has(key)) fire(rule, subject, null);
    // Restarted before the tick (libvirt's on_crash=restart, or someone was quick): it ran again.
    if (facts.slice(lastCrash + 1).some((f) => f.event === "started")) resolve(key, null);
  }
  for (const [key, active] of firing) {
    if (active.ruleId !== rule.id || active.subject.hostId !== hostId || active.subject.uuid === null) continue;
    if (byVm.get(active.subject.uuid)?.some((f) => isUnexpectedStop(f))) continue;
    const vm = vms.get(active.subject.uuid);
    const startedAgain = byVm.get(active.subject.uuid)?.some((f) => f.event === "started");
    if (startedAgain || vm?.running) resolve(key, null);
  }
}
