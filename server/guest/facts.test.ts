import assert from "node:assert/strict";
import { test } from "node:test";
import { methods } from "@/agent/protocol";
import { agentFactsComplete, mergeFacts, type AgentFacts } from "./facts";
import { parseGuestInfo } from "./qga";

const system = methods.get_system_info.example.result;
const network = methods.get_network_info.example.result;
const disks = methods.get_disk_usage.example.result;
const users = methods.get_users.example.result;
const agentFacts: AgentFacts = { system, network, disks, users };

const qgaInfo = parseGuestInfo({
  hostname: "from-qga",
  "os.id": "debian",
  "os.kernel-release": "6.1.0-99-amd64",
  "os.machine": "x86_64",
  "timezone.offset": -18000,
  "fs.count": 1,
  "fs.0.mountpoint": "/",
  "fs.0.name": "vda1",
  "fs.0.fstype": "ext4",
  "fs.0.total-bytes": 1000n,
  "fs.0.used-bytes": 400n,
  "user.count": 0,
});
const sources = { agent: "connected", qga: "connected" } as const;

test("every fact comes from our agent when it answers everything", () => {
  assert.ok(agentFactsComplete(agentFacts));
  const facts = mergeFacts(agentFacts, null, sources);
  assert.deepEqual(facts.system.hostname, { value: "web-1", source: "agent" });
  assert.equal(facts.system.kernel.value?.release, "6.1.0-28-amd64");
  assert.equal(facts.network.source, "agent");
  assert.equal(facts.network.value?.[0]?.rxBytes, 1048576);
  assert.equal(facts.disks.value?.[0]?.availableBytes, 15032385536);
  assert.equal(facts.users.value?.[0]?.user, "alice");
});

test("qemu-ga fills what the agent could not give, labelled as such", () => {
  const partial: AgentFacts = {
    system: { ...system, os: { id: null, name: null, version: null, version_id: null, pretty_name: null } },
    network: null,
    disks: null,
    users: null,
  };
  assert.equal(agentFactsComplete(partial), false);
  const facts = mergeFacts(
    partial,
    {
      info: qgaInfo,
      addresses: {
        source: "lease",
        interfaces: [{ name: "vnet0", mac: "52:54:00:00:00:01", addresses: [{ family: "ipv4", address: "192.168.122.9", prefix: 24 }] }],
      },
    },
    sources,
    { agent: ["get_network_info: disabled"] },
  );
  assert.deepEqual(facts.system.hostname, { value: "web-1", source: "agent" });
  assert.equal(facts.system.os.source, "qga", "the agent's all-empty os-release yields to qemu-ga's");
  assert.equal(facts.system.os.value?.id, "debian");
  assert.deepEqual(facts.network.source, "lease");
  assert.equal(facts.disks.source, "qga");
  assert.equal(facts.disks.value?.[0]?.usedBytes, 400);
  assert.deepEqual(facts.users, { value: [], source: "qga" });
  assert.deepEqual(facts.errors, { agent: ["get_network_info: disabled"], qga: [] });
});

test("without our agent everything comes from qemu-ga, and unknowns say so", () => {
  const facts = mergeFacts(null, { info: qgaInfo, addresses: null }, { agent: "absent", qga: "connected" });
  assert.deepEqual(facts.system.hostname, { value: "from-qga", source: "qga" });
  assert.deepEqual(facts.system.kernel, { value: { name: null, release: "6.1.0-99-amd64", version: null }, source: "qga" });
  assert.deepEqual(facts.system.timezone, { value: "UTC-05:00", source: "qga" });
  assert.deepEqual(facts.system.memory, { value: null, source: null });
  assert.deepEqual(facts.network, { value: null, source: null });
  const nothing = mergeFacts(null, null, { agent: "absent", qga: "absent" });
  assert.deepEqual(nothing.system.hostname, { value: null, source: null });
});
