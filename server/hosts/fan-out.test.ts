import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Connection } from "../libvirt";
import { ServiceError } from "../errors";
import { acrossHosts, answerEach, type HostAnswer } from "./fan-out";

const TIMEOUT_MS = 200;
const never = () => new Promise<never>(() => {});

test("the hosts that answer are answered while a silent one is still waited for; it is then named as not answering", async () => {
  const hosts = [{ id: "a" }, { id: "silent" }, { id: "c" }];
  const work = async (host: { id: string }) => (host.id === "silent" ? never() : `${host.id} listed`);
  const answers = answerEach(hosts, work, { timeoutMs: TIMEOUT_MS });
  let silentSettled = false;
  void answers[1]!.then(() => (silentSettled = true));
  assert.deepEqual(await Promise.all([answers[0], answers[2]]), [
    { hostId: "a", ok: true, value: "a listed" },
    { hostId: "c", ok: true, value: "c listed" },
  ]);
  assert.equal(silentSettled, false, "the silent host had not answered yet when the others had");
  assert.deepEqual(await answers[1], { hostId: "silent", ok: false, error: `host "silent": no answer within ${TIMEOUT_MS / 1000} s` });
});

test("every host's answer together takes the timeout at most, however long a host stays silent", async () => {
  const started = performance.now();
  const answers = await acrossHosts([{ id: "a" }, { id: "b" }], async (host) => (host.id === "b" ? never() : 1), { timeoutMs: TIMEOUT_MS });
  const elapsed = performance.now() - started;
  assert.deepEqual(
    answers.map((a) => a.ok),
    [true, false],
  );
  assert.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < TIMEOUT_MS + 1000, `answered after ${elapsed.toFixed(0)} ms`);
});

test("a failure is said in plain words naming the host, once: a service's message as it is, anything else prefixed", async () => {
  const work = async (host: { id: string }): Promise<number> => {
    if (host.id === "named") throw new ServiceError('host "named": libvirt: Cannot recv data: Connection reset by peer', "unavailable");
    if (host.id === "pool") throw new Error("no such pool");
    throw new Error("connect ECONNREFUSED 10.0.0.5:16509");
  };
  const answers = await acrossHosts([{ id: "named" }, { id: "pool" }, { id: "plain" }], work, { timeoutMs: TIMEOUT_MS });
  assert.deepEqual(
    answers.map((a: HostAnswer<number>) => (a.ok ? a.value : a.error)),
    ['host "named": libvirt: Cannot recv data: Connection reset by peer', 'host "pool": no such pool', 'host "plain": connect ECONNREFUSED 10.0.0.5:16509'],
  );
});

test("work that throws before its first await counts as that host's failure, not the caller's", async () => {
  const answers = await acrossHosts(
    [{ id: "a" }, { id: "b" }],
    (host) => {
      if (host.id === "b") throw new Error("host row vanished");
      return Promise.resolve("ok");
    },
    { timeoutMs: TIMEOUT_MS },
  );
  assert.deepEqual(answers, [
    { hostId: "a", ok: true, value: "ok" },
    { hostId: "b", ok: false, error: 'host "b": host row vanished' },
  ]);
});

test("a libvirt connection to a TCP server that accepts and never speaks is answered for at the timeout", async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => void sockets.add(socket.on("error", () => {})));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const conn = new Connection(`test+tcp://127.0.0.1:${port}/default`, { reconnect: false });
  try {
    const [answer] = await acrossHosts([{ id: "stalled" }], () => conn.connectGetHostname(), { timeoutMs: TIMEOUT_MS });
    assert.deepEqual(answer, { hostId: "stalled", ok: false, error: `host "stalled": no answer within ${TIMEOUT_MS / 1000} s` });
    assert.equal(sockets.size, 1, "the client did connect: the silence is the server's");
  } finally {
    await conn.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
