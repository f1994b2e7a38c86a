import assert from "node:assert/strict";
import net from "node:net";
import { finished } from "node:stream/promises";
import { after, before, test } from "node:test";
import { LibvirtConnectionError, LibvirtError } from "./errors";
import { VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU } from "./generated/constants";
import type { ProcedureCall } from "./generated/procedures";
import * as p from "./generated/protocol";
import type { PacketHeader } from "./packet";
import { RpcClient } from "./rpc-client";
import { startFakeLibvirtd, type FakeLibvirtd } from "./testing/fake-libvirtd";
import { waitFor } from "./testing/libvirtd";

let server: FakeLibvirtd;

before(async () => {
  server = await startFakeLibvirtd();
});

after(async () => {
  await server.close();
});

async function client(): Promise<{ rpc: RpcClient; closed: Promise<Error | null> }> {
  const socket = net.createConnection({ path: server.path });
  await new Promise((resolve) => socket.once("connect", resolve));
  let onClose!: (err: Error | null) => void;
  const closed = new Promise<Error | null>((resolve) => (onClose = resolve));
  return { rpc: new RpcClient(socket, { uri: "fake:///", onMessage: () => {}, onClose }), closed };
}

const hostnameCall: ProcedureCall<undefined, string> = {
  program: p.REMOTE_PROGRAM,
  version: 1,
  procedure: p.REMOTE_PROC_CONNECT_GET_HOSTNAME,
  name: "connectGetHostname",
  args: undefined,
  encode: null,
  decode: (r) => p.decodeConnectGetHostnameRet(r).hostname,
};

const downloadCall: ProcedureCall<p.StorageVolDownloadArgs, void> = {
  program: p.REMOTE_PROGRAM,
  version: 1,
  procedure: p.REMOTE_PROC_STORAGE_VOL_DOWNLOAD,
  name: "storageVolDownload",
  args: { vol: { pool: "p", name: "v", key: "k" }, offset: 0n, length: 0n, flags: 0 },
  encode: p.encodeStorageVolDownloadArgs,
  decode: null,
};

function reply(to: PacketHeader, status = p.VIR_NET_OK, type = p.VIR_NET_REPLY): PacketHeader {
  return { ...to, type, status };
}

test("with maxCallsInFlight 1 a call goes out only once the one before it is answered, in order", async () => {
  const socket = net.createConnection({ path: server.path });
  await new Promise((resolve) => socket.once("connect", resolve));
  const rpc = new RpcClient(socket, { uri: "fake:///", onMessage: () => {}, onClose: () => {}, maxCallsInFlight: 1 });
  const calls = [rpc.call(hostnameCall), rpc.call(hostnameCall), rpc.call(hostnameCall)];
  for (const serial of [1, 2, 3]) {
    const packet = await server.next();
    assert.equal(packet.header.serial, serial);
    // Unbounded, all three go out in one write and arrive together; bounded, nothing follows this one yet.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.received.length, 0, `only call ${serial} is out`);
    server.send(reply(packet.header), (w) => p.encodeConnectGetHostnameRet(w, { hostname: `host-${serial}` }));
  }
  assert.deepEqual(await Promise.all(calls), ["host-1", "host-2", "host-3"]);
  rpc.close();
});

test("replies reach their callers by serial, whatever their order", async () => {
  const { rpc } = await client();
  const calls = [rpc.call(hostnameCall), rpc.call(hostnameCall), rpc.call(hostnameCall)];
  const packets = [await server.next(), await server.next(), await server.next()];
  assert.deepEqual(
    packets.map((pk) => pk.header.serial),
    [1, 2, 3],
  );
  for (const pk of packets.reverse()) {
    server.send(reply(pk.header), (w) => p.encodeConnectGetHostnameRet(w, { hostname: `host-${pk.header.serial}` }));
  }
  assert.deepEqual(await Promise.all(calls), ["host-1", "host-2", "host-3"]);
  rpc.close();
});

test("an error reply becomes a LibvirtError with libvirt's code and our context", async () => {
  const { rpc } = await client();
  const call = rpc.call(hostnameCall);
  const pk = await server.next();
  server.send(reply(pk.header, p.VIR_NET_ERROR), (w) =>
    p.encodeVirNetMessageError(w, {
      code: VIR_ERR_NO_DOMAIN,
      domain: VIR_FROM_QEMU,
      message: "Domain not found: no domain with matching name 'web'",
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: 0,
      int2: 0,
      net: null,
    }),
  );
  const err = await call.catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtError);
  assert.equal(err.code, VIR_ERR_NO_DOMAIN);
  assert.equal(err.codeName, "VIR_ERR_NO_DOMAIN");
  assert.equal(err.domainName, "VIR_FROM_QEMU");
  assert.equal(err.message, "connectGetHostname on fake:///: Domain not found: no domain with matching name 'web' (VIR_ERR_NO_DOMAIN)");
  rpc.close();
});

test("answers keepalive pings with pongs", async () => {
  const { rpc } = await client();
  const ping = { program: p.KEEPALIVE_PROGRAM, version: 1, procedure: p.KEEPALIVE_PROC_PING, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 };
  server.send(ping);
  const pong = await server.next((pk) => pk.header.program === p.KEEPALIVE_PROGRAM);
  assert.equal(pong.header.procedure, p.KEEPALIVE_PROC_PONG);
  assert.equal(pong.header.type, p.VIR_NET_MESSAGE);
  rpc.close();
});

test('calls in flight fail as "disconnected" when the peer hangs up', async () => {
  const { rpc, closed } = await client();
  const call = rpc.call(hostnameCall);
  await server.next();
  server.hangUp();
  const err = await call.catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "disconnected", String(err));
  assert.ok((await closed) instanceof LibvirtConnectionError);
  const late = await rpc.call(hostnameCall).catch((e: unknown) => e);
  assert.ok(late instanceof LibvirtConnectionError && late.kind === "disconnected");
});

test("a read stream delivers data and holes, then finishes with libvirtd", async () => {
  const { rpc } = await client();
  const opening = rpc.callStream(downloadCall);
  const call = await server.next();
  const data = (status: number, type = p.VIR_NET_STREAM): PacketHeader => ({ ...call.header, type, status });
  server.send(reply(call.header));
  server.send(data(p.VIR_NET_CONTINUE), (w) => w.raw(Buffer.from("abc")));
  server.send(data(p.VIR_NET_CONTINUE, p.VIR_NET_STREAM_HOLE), (w) => p.encodeVirNetStreamHole(w, { length: 5n, flags: 0 }));
  server.send(data(p.VIR_NET_CONTINUE), (w) => w.raw(Buffer.from("z")));
  server.send(data(p.VIR_NET_CONTINUE)); // empty: libvirtd's end of data
  const { stream } = await opening;
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const finish = await server.next((pk) => pk.header.type === p.VIR_NET_STREAM);
  assert.equal(finish.header.status, p.VIR_NET_OK, "we finish the stream libvirtd ended");
  assert.equal(finish.header.serial, call.header.serial);
  server.send(data(p.VIR_NET_OK)); // libvirtd's confirmation
  await finished(stream);
  assert.deepEqual(Buffer.concat(chunks), Buffer.from("abc\0\0\0\0\0z"));
  rpc.close();
});

test("a write stream sends data in bounded packets and resolves once libvirtd confirms the end", async () => {
  const { rpc } = await client();
  const opening = rpc.callStream({ ...downloadCall, procedure: p.REMOTE_PROC_STORAGE_VOL_UPLOAD, name: "storageVolUpload" });
  const call = await server.next();
  server.send(reply(call.header));
  const { stream } = await opening;
  const payload = Buffer.alloc(600_001, 7); // not a multiple of 4: stream data is not XDR-padded
  stream.end(payload);
  const got: Buffer[] = [];
  for (;;) {
    const pk = await server.next((x) => x.header.type === p.VIR_NET_STREAM);
    if (pk.header.status === p.VIR_NET_OK) break;
    assert.equal(pk.header.status, p.VIR_NET_CONTINUE);
    assert.ok(pk.body.length <= p.VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX);
    got.push(pk.body);
  }
  assert.deepEqual(Buffer.concat(got), payload);
  let confirmed = false;
  stream.on("finish", () => (confirmed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(confirmed, false, "end() waits for libvirtd");
  server.send({ ...call.header, type: p.VIR_NET_STREAM, status: p.VIR_NET_OK });
  await waitFor("the stream to finish", () => confirmed, 5000);
  rpc.close();
});

test("destroying a stream aborts it; a stream error from libvirtd fails it", async () => {
  const { rpc } = await client();
  const first = rpc.callStream(downloadCall);
  const call1 = await server.next();
  server.send(reply(call1.header));
  (await first).stream.destroy();
  const abort = await server.next((pk) => pk.header.type === p.VIR_NET_STREAM);
  assert.equal(abort.header.status, p.VIR_NET_ERROR);

  const second = rpc.callStream(downloadCall);
  const call2 = await server.next();
  server.send(reply(call2.header));
  const { stream } = await second;
  const failed = finished(stream).catch((e: unknown) => e);
  stream.resume();
  server.send({ ...call2.header, type: p.VIR_NET_STREAM, status: p.VIR_NET_ERROR }, (w) =>
    p.encodeVirNetMessageError(w, {
      code: 1,
      domain: 0,
      message: "storage read failed",
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: 0,
      int2: 0,
      net: null,
    }),
  );
  const err = await failed;
  assert.ok(err instanceof LibvirtError && /storageVolDownload on fake:\/\/\/: storage read failed/.test(err.message), String(err));
  rpc.close();
});
