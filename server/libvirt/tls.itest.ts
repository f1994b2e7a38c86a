// qemu+tls:// against a TLS endpoint in front of the real libvirtd: a Node
// TLS server that demands a client certificate and forwards to libvirtd's
// unix socket (the shared libvirtd is not reconfigured to listen on TLS), answering
// the handshake with libvirtd's one-byte verdict. e2e/integration/hosts.itest.ts
// reaches a real libvirtd over TLS (the second host's).
// Certificates come from openssl, laid out as libvirt's pkipath expects.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { Connection, LibvirtConnectionError } from "./index";
import { issueTestCertificate, makeTestCa } from "./testing/test-pki";

const LIBVIRTD_SOCKET = "/var/run/libvirt/libvirt-sock";

let dir: string;
let server: tls.Server;
let port: number;
const clientNames: string[] = [];

/** A CA, a server certificate for localhost and a client certificate signed by it. */
function makePki(): void {
  makeTestCa(dir, "ca", 1);
  issueTestCertificate(dir, { name: "server", cn: "localhost", ca: "ca", days: 1, extensions: ["subjectAltName=DNS:localhost"] });
  issueTestCertificate(dir, { name: "client", cn: "kvmm-test-client", ca: "ca", days: 1, extensions: ["extendedKeyUsage=clientAuth"] });
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-pki-"));
  makePki();
  const read = (f: string) => readFileSync(path.join(dir, f));
  server = tls.createServer(
    { key: read("serverkey.pem"), cert: read("servercert.pem"), ca: read("cacert.pem"), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      clientNames.push(String(socket.getPeerCertificate().subject?.CN));
      // As libvirtd does once it has checked the client's certificate and address (virnetserverclient.c).
      socket.write(Buffer.from([1]));
      const upstream = net.createConnection({ path: LIBVIRTD_SOCKET });
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    },
  );
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test("connects over TLS with the client certificate from pkipath and verifies the server", async () => {
  const conn = await Connection.open(`test+tls://localhost:${port}/default?pkipath=${dir}`);
  try {
    assert.equal(await conn.connectGetType(), "TEST");
    assert.ok(clientNames.includes("kvmm-test-client"), "the server saw our client certificate");
  } finally {
    await conn.close();
  }
});

test("refuses a server whose certificate does not match the host, unless no_verify=1", async () => {
  // Same listener, but the certificate names only `localhost`.
  const err = await Connection.open(`test+tls://127.0.0.1:${port}/default?pkipath=${dir}`).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "connect", String(err));
  assert.match(String(err), /IP: 127\.0\.0\.1 is not in the cert's list/);

  const other = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-pki-other-"));
  try {
    // A different CA: verification must fail…
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "cacert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=other",
      ],
      { cwd: other, stdio: "ignore" },
    );
    for (const f of ["clientcert.pem", "clientkey.pem"]) writeFileSync(path.join(other, f), readFileSync(path.join(dir, f)));
    const refused = await Connection.open(`test+tls://localhost:${port}/default?pkipath=${other}`).catch((e: unknown) => e);
    assert.ok(refused instanceof LibvirtConnectionError && refused.kind === "connect", String(refused));
    assert.match(String(refused), /TLS connection to localhost/);
    // …and no_verify=1 skips it, as in libvirt.
    const conn = await Connection.open(`test+tls://localhost:${port}/default?pkipath=${other}&no_verify=1`);
    assert.equal(await conn.connectGetType(), "TEST");
    await conn.close();
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test("reports missing credential files clearly, naming each missing one in a fixed order", async () => {
  const err = await Connection.open(`test+tls://localhost:${port}/default?pkipath=/nonexistent/kvmm-test`).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "connect");
  assert.match(String(err), /cannot read TLS credentials: .*\/nonexistent\/kvmm-test\/cacert\.pem.*; .*\/clientcert\.pem.*; .*\/clientkey\.pem/);

  // Only the key missing: it alone is named.
  const partial = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-pki-partial-"));
  try {
    for (const f of ["cacert.pem", "clientcert.pem"]) writeFileSync(path.join(partial, f), readFileSync(path.join(dir, f)));
    const keyless = await Connection.open(`test+tls://localhost:${port}/default?pkipath=${partial}`).catch((e: unknown) => e);
    assert.ok(keyless instanceof LibvirtConnectionError && keyless.kind === "connect");
    assert.match(String(keyless), /cannot read TLS credentials: [^;]*clientkey\.pem[^;]*$/);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
});
