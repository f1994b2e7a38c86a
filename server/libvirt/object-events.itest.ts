// Network and storage pool events from the machine's libvirtd (qemu:///system):
// each step of an object's life arrives as a typed lifecycle event.
// Everything is named kvmm-test-flags-* and removed whatever happened.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  Connection,
  VIR_NETWORK_EVENT_DEFINED,
  VIR_NETWORK_EVENT_STARTED,
  VIR_NETWORK_EVENT_STOPPED,
  VIR_NETWORK_EVENT_UNDEFINED,
  VIR_STORAGE_POOL_EVENT_DEFINED,
  VIR_STORAGE_POOL_EVENT_STARTED,
  VIR_STORAGE_POOL_EVENT_STOPPED,
  VIR_STORAGE_POOL_EVENT_UNDEFINED,
  type NetworkEvent,
  type StoragePoolEvent,
  type protocol,
} from "./index";

const DEADLINE_MS = 10_000;
let conn: Connection;

before(async () => {
  conn = await Connection.open("qemu:///system");
});

after(async () => {
  await conn?.close();
});

/** Reads `events` until one satisfies `wanted`; fails when none has within DEADLINE_MS. */
async function nextEvent<E>(events: AsyncIterator<E>, what: string, wanted: (event: E) => boolean): Promise<E> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} event within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    for (;;) {
      const result = await Promise.race([events.next(), deadline]);
      if (result.done) throw new Error(`the event stream ended before the ${what} event`);
      if (wanted(result.value)) return result.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

const uniqueName = (what: string) => `kvmm-test-flags-${what}-${randomUUID().slice(0, 8)}`;

test("a network's definition, start, stop and removal each arrive as a lifecycle event", async () => {
  const name = uniqueName("net");
  // Linux caps interface names at 15 characters; no <ip>, so no dnsmasq is started.
  const xml = `<network><name>${name}</name><bridge name='kvmmtf${randomUUID().slice(0, 8)}'/></network>`;
  const events = await conn.networkEvents(["lifecycle"]);
  let net: protocol.NonnullNetwork | null = null;
  const expect = async (what: string, event: number) => {
    const ev = await nextEvent<NetworkEvent>(events, what, (e) => e.net.name === name);
    assert.deepEqual(ev, { kind: "lifecycle", callbackID: ev.callbackID, net: { name, uuid: net!.uuid }, event, detail: 0 }, what);
  };
  try {
    net = await conn.networkDefineXml({ xml });
    await expect("defined", VIR_NETWORK_EVENT_DEFINED);
    await conn.networkCreate({ net });
    await expect("started", VIR_NETWORK_EVENT_STARTED);
    await conn.networkDestroy({ net });
    await expect("stopped", VIR_NETWORK_EVENT_STOPPED);
    await conn.networkUndefine({ net });
    await expect("undefined", VIR_NETWORK_EVENT_UNDEFINED);
    net = null;
  } finally {
    await events.return?.();
    if (net) {
      await conn.networkDestroy({ net }).catch(() => {});
      await conn.networkUndefine({ net }).catch(() => {});
    }
  }
});

test("a dir pool's definition, start, refresh, stop and removal each arrive as an event", async () => {
  const name = uniqueName("pool");
  const dir = mkdtempSync(`/tmp/${name}-`);
  const xml = `<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`;
  const events = await conn.storagePoolEvents();
  let pool: protocol.NonnullStoragePool | null = null;
  const next = (what: string) => nextEvent<StoragePoolEvent>(events, what, (e) => e.pool.name === name);
  const expect = async (what: string, event: number) => {
    const ev = await next(what);
    assert.deepEqual(ev, { kind: "lifecycle", callbackID: ev.callbackID, pool: { name, uuid: pool!.uuid }, event, detail: 0 }, what);
  };
  try {
    pool = await conn.storagePoolDefineXml({ xml, flags: 0 });
    await expect("defined", VIR_STORAGE_POOL_EVENT_DEFINED);
    await conn.storagePoolCreate({ pool, flags: 0 });
    await expect("started", VIR_STORAGE_POOL_EVENT_STARTED);
    await conn.storagePoolRefresh({ pool, flags: 0 });
    const refresh = await next("refresh");
    assert.deepEqual(refresh, { kind: "refresh", callbackID: refresh.callbackID, pool: { name, uuid: pool.uuid } });
    await conn.storagePoolDestroy({ pool });
    await expect("stopped", VIR_STORAGE_POOL_EVENT_STOPPED);
    await conn.storagePoolUndefine({ pool });
    await expect("undefined", VIR_STORAGE_POOL_EVENT_UNDEFINED);
    pool = null;
  } finally {
    await events.return?.();
    if (pool) {
      await conn.storagePoolDestroy({ pool }).catch(() => {});
      await conn.storagePoolUndefine({ pool }).catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
