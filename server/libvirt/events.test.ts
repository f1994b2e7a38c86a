import assert from "node:assert/strict";
import { test } from "node:test";
import { VIR_NETWORK_EVENT_ID_LIFECYCLE, virDomainEventID, virStoragePoolEventID } from "./generated/constants";
import {
  DOMAIN_EVENT_DECODERS,
  DOMAIN_EVENT_IDS,
  NETWORK_EVENT_DECODERS,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_DECODERS,
  STORAGE_POOL_EVENT_IDS,
} from "./generated/events";
import * as p from "./generated/protocol";
import { XdrReader, XdrWriter } from "./xdr";

test("every libvirt domain event ID has a kind and a decoder", () => {
  assert.deepEqual(
    Object.values(DOMAIN_EVENT_IDS).sort((a, b) => a - b),
    Object.values(virDomainEventID).sort((a, b) => a - b),
  );
  assert.equal(DOMAIN_EVENT_IDS.lifecycle, 0);
  assert.equal(DOMAIN_EVENT_IDS.agentLifecycle, 18);
  assert.equal(DOMAIN_EVENT_DECODERS.size, Object.keys(DOMAIN_EVENT_IDS).length);
  assert.ok(DOMAIN_EVENT_DECODERS.has(p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE), "lifecycle arrives as proc 318");
});

test("every network and storage pool event ID has a kind and a decoder", () => {
  assert.deepEqual(NETWORK_EVENT_IDS, { lifecycle: VIR_NETWORK_EVENT_ID_LIFECYCLE });
  assert.deepEqual(STORAGE_POOL_EVENT_IDS, { lifecycle: virStoragePoolEventID.LIFECYCLE, refresh: virStoragePoolEventID.REFRESH });
  assert.deepEqual([...NETWORK_EVENT_DECODERS.keys()], [p.REMOTE_PROC_NETWORK_EVENT_LIFECYCLE]);
  assert.deepEqual([...STORAGE_POOL_EVENT_DECODERS.keys()], [p.REMOTE_PROC_STORAGE_POOL_EVENT_LIFECYCLE, p.REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH]);
});

test("events decode to flat objects, whether libvirt wraps the message or not", () => {
  const dom = { name: "web", uuid: Buffer.alloc(16, 2), id: 4 };
  const w = new XdrWriter();
  p.encodeDomainEventCallbackAgentLifecycleMsg(w, { callbackID: 3, dom, state: 1, reason: 2 });
  const agent = DOMAIN_EVENT_DECODERS.get(p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE)!(new XdrReader(Buffer.from(w.bytes())));
  assert.deepEqual(agent, { kind: "agentLifecycle", callbackID: 3, dom, state: 1, reason: 2 });

  const w2 = new XdrWriter();
  p.encodeDomainEventCallbackRebootMsg(w2, { callbackID: 5, msg: { dom } });
  const reboot = DOMAIN_EVENT_DECODERS.get(p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT)!(new XdrReader(Buffer.from(w2.bytes())));
  assert.deepEqual(reboot, { kind: "reboot", callbackID: 5, dom });
});

test("network and storage pool events decode to the object, event and detail", () => {
  const net = { name: "kvmm-net", uuid: Buffer.alloc(16, 3) };
  const w = new XdrWriter();
  p.encodeNetworkEventLifecycleMsg(w, { callbackID: 2, net, event: 2, detail: 0 });
  const started = NETWORK_EVENT_DECODERS.get(p.REMOTE_PROC_NETWORK_EVENT_LIFECYCLE)!(new XdrReader(Buffer.from(w.bytes())));
  assert.deepEqual(started, { kind: "lifecycle", callbackID: 2, net, event: 2, detail: 0 });

  const pool = { name: "kvmm-pool", uuid: Buffer.alloc(16, 4) };
  const w2 = new XdrWriter();
  p.encodeStoragePoolEventRefreshMsg(w2, { callbackID: 6, pool });
  const refresh = STORAGE_POOL_EVENT_DECODERS.get(p.REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH)!(new XdrReader(Buffer.from(w2.bytes())));
  assert.deepEqual(refresh, { kind: "refresh", callbackID: 6, pool });
});
