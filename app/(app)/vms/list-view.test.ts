import { test } from "node:test";
import assert from "node:assert/strict";
import { activeFilters, applyView, allTags, DEFAULT_VIEW, parseView, viewToQuery, type ListedVm, type ListView } from "./list-view";

function vm(name: string, more: Partial<ListedVm> = {}): ListedVm {
  return {
    hostId: "local",
    name,
    state: "running",
    vcpus: 1,
    memoryKiB: 1024 * 1024,
    tags: [],
    ips: [],
    guest: { agent: false, qga: false },
    usage: { cpuPercent: null },
    ...more,
  };
}

const vms = [
  vm("web-10", { ips: ["192.168.122.10"], tags: ["prod", "web"], vcpus: 4, guest: { agent: true, qga: true } }),
  vm("web-2", { ips: ["192.168.122.9"], tags: ["web"], state: "shutoff", memoryKiB: 4 * 1024 * 1024 }),
  vm("db-1", { hostId: "lab", ips: ["10.0.0.5", "fe80::1"], tags: ["prod"], vcpus: 2, guest: { agent: false, qga: true } }),
  vm("scratch", { state: "paused" }),
];
const names = (list: ListedVm[]) => list.map((v) => v.name);
const view = (more: Partial<ListView>): ListView => ({ ...DEFAULT_VIEW, ...more });

test("search finds a VM by part of its name, of one of its IPs, or of one of its tags, ignoring case", () => {
  assert.deepEqual(names(applyView(vms, view({ q: "WEB" }))), ["web-2", "web-10"]);
  assert.deepEqual(names(applyView(vms, view({ q: "10.0.0" }))), ["db-1"]);
  assert.deepEqual(names(applyView(vms, view({ q: "prod" }))), ["db-1", "web-10"]);
});

test("every word of a search must match something of the same VM", () => {
  assert.deepEqual(names(applyView(vms, view({ q: "web prod" }))), ["web-10"]);
  assert.deepEqual(names(applyView(vms, view({ q: "scratch prod" }))), []);
});

test("filters by state (running and blocked read as running, pmsuspended as paused), host, tag and agent", () => {
  const more = [...vms, vm("busy", { state: "blocked" }), vm("sleepy", { state: "pmsuspended" })];
  assert.deepEqual(names(applyView(more, view({ state: "running" }))), ["busy", "db-1", "web-10"]);
  assert.deepEqual(names(applyView(more, view({ state: "paused" }))), ["scratch", "sleepy"]);
  assert.deepEqual(names(applyView(more, view({ state: "shutoff" }))), ["web-2"]);
  assert.deepEqual(names(applyView(vms, view({ host: "lab" }))), ["db-1"]);
  assert.deepEqual(names(applyView(vms, view({ tag: "web" }))), ["web-2", "web-10"]);
  assert.deepEqual(names(applyView(vms, view({ agent: "agent" }))), ["web-10"]);
  assert.deepEqual(names(applyView(vms, view({ agent: "qga" }))), ["db-1"]);
  assert.deepEqual(names(applyView(vms, view({ agent: "none" }))), ["scratch", "web-2"]);
  assert.deepEqual(names(applyView(vms, view({ tag: "prod", host: "local" }))), ["web-10"]);
});

test("names sort with their numbers as numbers, and descending reverses the order", () => {
  assert.deepEqual(names(applyView(vms, view({}))), ["db-1", "scratch", "web-2", "web-10"]);
  assert.deepEqual(names(applyView(vms, view({ dir: "desc" }))), ["web-10", "web-2", "scratch", "db-1"]);
});

test("sorts by each column, ties broken by name", () => {
  assert.deepEqual(names(applyView(vms, view({ sort: "vcpus", dir: "desc" }))), ["web-10", "db-1", "scratch", "web-2"]);
  assert.deepEqual(names(applyView(vms, view({ sort: "memory", dir: "desc" }))), ["web-2", "db-1", "scratch", "web-10"]);
  assert.deepEqual(names(applyView(vms, view({ sort: "state" }))), ["db-1", "web-10", "scratch", "web-2"]);
  assert.deepEqual(names(applyView(vms, view({ sort: "host" }))), ["db-1", "scratch", "web-2", "web-10"]);
  assert.deepEqual(names(applyView(vms, view({ sort: "agent" }))), ["web-10", "db-1", "scratch", "web-2"]);
  assert.deepEqual(names(applyView(vms, view({ sort: "tags" }))), ["scratch", "db-1", "web-10", "web-2"]);
});

test("sorting by IP orders IPv4 addresses numerically, then IPv6, then VMs without an address", () => {
  const list = [
    vm("none"),
    vm("v6", { ips: ["fe80::2"] }),
    vm("high", { ips: ["192.168.122.10"] }),
    vm("low", { ips: ["192.168.122.9"] }),
    vm("ten", { ips: ["10.1.1.1"] }),
  ];
  assert.deepEqual(names(applyView(list, view({ sort: "ip" }))), ["ten", "low", "high", "v6", "none"]);
});

test("a view survives the round trip through the query string, and the default view is the bare URL", () => {
  const shared: ListView = { q: "web prod", state: "running", host: "lab", tag: "prod", agent: "qga", sort: "memory", dir: "desc" };
  assert.deepEqual(parseView(new URLSearchParams(viewToQuery(shared))), shared);
  assert.equal(viewToQuery(DEFAULT_VIEW), "");
  assert.deepEqual(parseView({}), DEFAULT_VIEW);
});

test("a query with unknown values or repeated keys falls back to the default for each, never fails", () => {
  const parsed = parseView({ state: "exploded", sort: "price", dir: "sideways", agent: ["agent", "none"], q: ["  a  ", "b"] });
  assert.deepEqual(parsed, { ...DEFAULT_VIEW, agent: "agent", q: "a" });
  assert.equal(parseView({ q: "x".repeat(5000) }).q.length, 200);
});

test("the count of set filters includes the search, and the tags offered are every VM's, once each", () => {
  assert.equal(activeFilters(view({ q: "web", tag: "prod" })), 2);
  assert.equal(activeFilters(view({ q: "  ", sort: "ip" })), 0);
  assert.deepEqual(allTags(vms), ["prod", "web"]);
});
