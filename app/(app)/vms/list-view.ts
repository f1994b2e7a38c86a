// What the VM list shows: search, filters and sort, kept in the page's query string so a view can be
// shared and survives a reload. Pure and client-safe: the server component and the browser read the
// same query with the same rules.
import type { VmState } from "@/server/domains/power";

export const SORT_KEYS = ["name", "state", "host", "vcpus", "memory", "cpu", "ip", "tags", "agent"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** The states a user filters by: libvirt's running and blocked both read "running". */
export const STATE_FILTERS = ["running", "paused", "shutoff", "crashed", "other"] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

/** `agent`: our agent connected; `qga`: qemu-guest-agent connected; `none`: neither. */
export const AGENT_FILTERS = ["agent", "qga", "none"] as const;
export type AgentFilter = (typeof AGENT_FILTERS)[number];

export interface ListView {
  /** Words that must each be found in the VM's name, one of its IPs or one of its tags. */
  q: string;
  state: StateFilter | null;
  host: string | null;
  tag: string | null;
  agent: AgentFilter | null;
  sort: SortKey;
  dir: "asc" | "desc";
}

export const DEFAULT_VIEW: ListView = { q: "", state: null, host: null, tag: null, agent: null, sort: "name", dir: "asc" };

/** What of a VM the view reads (the list's rows carry more). */
export interface ListedVm {
  hostId: string;
  name: string;
  state: VmState;
  vcpus: number;
  memoryKiB: number;
  tags: readonly string[];
  ips: readonly string[];
  guest: { agent: boolean; qga: boolean };
  usage: { cpuPercent: number | null };
}

type Query = URLSearchParams | Record<string, string | string[] | undefined>;

function read(query: Query, key: string): string | null {
  const value = query instanceof URLSearchParams ? query.get(key) : query[key];
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined || one === null ? null : one;
}

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : null;
}

const MAX_QUERY = 200;

/** The view a query string asks for; anything unknown or malformed falls back to the default, never fails. */
export function parseView(query: Query): ListView {
  const text = (key: string) => read(query, key)?.trim().slice(0, MAX_QUERY) || null;
  return {
    q: text("q") ?? "",
    state: oneOf(STATE_FILTERS, read(query, "state")),
    host: text("host"),
    tag: text("tag"),
    agent: oneOf(AGENT_FILTERS, read(query, "agent")),
    sort: oneOf(SORT_KEYS, read(query, "sort")) ?? DEFAULT_VIEW.sort,
    dir: read(query, "dir") === "desc" ? "desc" : "asc",
  };
}

/** The query string of a view (without `?`), with defaults left out so the plain list stays `/vms`. */
export function viewToQuery(view: ListView): string {
  const params = new URLSearchParams();
  if (view.q.trim()) params.set("q", view.q.trim());
  if (view.state) params.set("state", view.state);
  if (view.host) params.set("host", view.host);
  if (view.tag) params.set("tag", view.tag);
  if (view.agent) params.set("agent", view.agent);
  if (view.sort !== DEFAULT_VIEW.sort) params.set("sort", view.sort);
  if (view.dir !== DEFAULT_VIEW.dir) params.set("dir", view.dir);
  return params.toString();
}

/** How many filters narrow the list (search included): the phone's "Filters (n set)". */
export function activeFilters(view: ListView): number {
  return [view.q.trim(), view.state, view.host, view.tag, view.agent].filter(Boolean).length;
}

export function stateGroup(state: VmState): StateFilter {
  switch (state) {
    case "running":
    case "blocked":
      return "running";
    case "paused":
    case "pmsuspended":
      return "paused";
    case "shutoff":
      return "shutoff";
    case "crashed":
      return "crashed";
    default:
      return "other";
  }
}

export function agentGroup(guest: ListedVm["guest"]): AgentFilter {
  return guest.agent ? "agent" : guest.qga ? "qga" : "none";
}

export function matchesView(vm: ListedVm, view: ListView): boolean {
  if (view.state && stateGroup(vm.state) !== view.state) return false;
  if (view.host && vm.hostId !== view.host) return false;
  if (view.tag && !vm.tags.includes(view.tag)) return false;
  if (view.agent && agentGroup(vm.guest) !== view.agent) return false;
  const words = view.q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [vm.name.toLowerCase(), ...vm.ips.map((ip) => ip.toLowerCase()), ...vm.tags.map((t) => t.toLowerCase())];
  return words.every((word) => haystack.some((text) => text.includes(word)));
}

/** An IPv4 address as one number, IPv6 after every IPv4 (by text), so sorting by IP groups subnets. */
function ipKey(ip: string | undefined): [number, number, string] {
  if (ip === undefined) return [2, 0, ""];
  const parts = ip.split(".");
  if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p))) return [0, parts.reduce((n, p) => n * 256 + Number(p), 0), ""];
  return [1, 0, ip.toLowerCase()];
}

const STATE_ORDER: Record<StateFilter, number> = { running: 0, paused: 1, crashed: 2, other: 3, shutoff: 4 };
const AGENT_ORDER: Record<AgentFilter, number> = { agent: 0, qga: 1, none: 2 };
const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

function compareKey(key: SortKey, a: ListedVm, b: ListedVm): number {
  switch (key) {
    case "name":
      return collator.compare(a.name, b.name);
    case "state":
      return STATE_ORDER[stateGroup(a.state)] - STATE_ORDER[stateGroup(b.state)];
    case "host":
      return collator.compare(a.hostId, b.hostId);
    case "vcpus":
      return a.vcpus - b.vcpus;
    case "memory":
      return a.memoryKiB - b.memoryKiB;
    case "cpu":
      return (a.usage.cpuPercent ?? -1) - (b.usage.cpuPercent ?? -1);
    case "ip": {
      const [x, y] = [ipKey(a.ips[0]), ipKey(b.ips[0])];
      return x[0] - y[0] || x[1] - y[1] || x[2].localeCompare(y[2]);
    }
    case "tags":
      // By the tags as one text; a VM without tags sorts as the empty text, first when ascending.
      return collator.compare(a.tags.join(" "), b.tags.join(" "));
    case "agent":
      return AGENT_ORDER[agentGroup(a.guest)] - AGENT_ORDER[agentGroup(b.guest)];
  }
}

/** The VMs the view shows, in its order; ties are broken by name, then host, so the order is stable. */
export function applyView<V extends ListedVm>(vms: readonly V[], view: ListView): V[] {
  const sign = view.dir === "desc" ? -1 : 1;
  return vms
    .filter((vm) => matchesView(vm, view))
    .sort((a, b) => sign * compareKey(view.sort, a, b) || collator.compare(a.name, b.name) || collator.compare(a.hostId, b.hostId));
}

/** Every tag of the VMs, for the tag filter's choices. */
export function allTags(vms: readonly ListedVm[]): string[] {
  return [...new Set(vms.flatMap((vm) => vm.tags))].sort(collator.compare);
}
