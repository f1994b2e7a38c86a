import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ServiceError } from "../errors";
import { issueTestCertificate, makeTestCa } from "../libvirt/testing/test-pki";
import { checkTlsFiles, writeTlsFiles, type TlsFiles } from "./tls-files";

let dir: string;
const read = (file: string) => readFileSync(path.join(dir, file), "utf8");

/** A client certificate valid 1 day from a CA valid 10 days. */
const makeClient = (name: string, ca: string) =>
  issueTestCertificate(dir, { name, cn: name, ca, days: 1, extensions: ["basicConstraints=CA:FALSE", "extendedKeyUsage=clientAuth"] });

let good: TlsFiles;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kvmm-host-pki-"));
  makeTestCa(dir, "ca", 10);
  makeTestCa(dir, "otherca", 10);
  makeClient("client", "ca");
  makeClient("stranger", "otherca");
  good = { caPem: read("cacert.pem"), certPem: read("clientcert.pem"), keyPem: read("clientkey.pem") };
});

after(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (field: keyof TlsFiles, pattern: RegExp) => (err: unknown) =>
  err instanceof ServiceError && err.kind === "invalid" && err.field === field && pattern.test(err.message);

test("a CA, a client certificate it issued and that certificate's key pass", () => {
  assert.doesNotThrow(() => checkTlsFiles(good));
});

test("each wrong file is refused naming that file and what is wrong with it", () => {
  assert.throws(() => checkTlsFiles({ ...good, caPem: "hello" }), refusal("caPem", /^the CA certificate: not a PEM certificate/));
  assert.throws(() => checkTlsFiles({ ...good, caPem: good.certPem }), refusal("caPem", /^the CA certificate: "CN=client" is not a certificate authority/));
  assert.throws(() => checkTlsFiles({ ...good, certPem: good.keyPem }), refusal("certPem", /^the client certificate: not a PEM certificate/));
  assert.throws(() => checkTlsFiles({ ...good, certPem: read("strangercert.pem") }), refusal("certPem", /^the client certificate: not issued by this CA/));
  assert.throws(
    () => checkTlsFiles({ ...good, keyPem: read("strangerkey.pem") }),
    refusal("keyPem", /^the client key: does not belong to the client certificate/),
  );
  assert.throws(() => checkTlsFiles({ ...good, keyPem: good.certPem }), refusal("keyPem", /^the client key: not an unencrypted PEM private key/));
});

test("a certificate outside its dates is refused with the date", () => {
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
  assert.throws(() => checkTlsFiles(good, inTwoDays), refusal("certPem", /^the client certificate: expired on \d{4}-/));
  const yesterday = new Date(Date.now() - 86_400_000);
  assert.throws(() => checkTlsFiles(good, yesterday), refusal("caPem", /^the CA certificate: not valid before \d{4}-/));
});

test("the files are written as libvirt's pkipath names them, readable by the manager alone", async () => {
  const pki = path.join(dir, "written", "pki");
  await writeTlsFiles(pki, good);
  assert.equal(read("written/pki/cacert.pem"), good.caPem);
  assert.equal(read("written/pki/clientcert.pem"), good.certPem);
  assert.equal(read("written/pki/clientkey.pem"), good.keyPem);
  for (const file of ["cacert.pem", "clientcert.pem", "clientkey.pem"]) assert.equal(statSync(path.join(pki, file)).mode & 0o777, 0o600, file);
  assert.equal(statSync(pki).mode & 0o777, 0o700);
});
