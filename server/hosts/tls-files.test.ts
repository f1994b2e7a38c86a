import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ServiceError } from "../errors";
import { checkTlsFiles, writeTlsFiles, type TlsFiles } from "./tls-files";

let dir: string;
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
const read = (file: string) => readFileSync(path.join(dir, file), "utf8");
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A CA valid 10 days (`<ca>cert.pem`, `<ca>key.pem`) and a client certificate from it valid 1 day (`<name>cert.pem`). */
function makeCa(ca: string): void {
  openssl("req", "-x509", ...ec, "-keyout", `${ca}key.pem`, "-out", `${ca}cert.pem`, "-days", "10", "-subj", `/CN=${ca}`);
}
function makeClient(name: string, ca: string): void {
  openssl("req", ...ec, "-keyout", `${name}key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
  writeFileSync(path.join(dir, `${name}.ext`), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}cert.pem`,
    "-CAkey",
    `${ca}key.pem`,
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}cert.pem`,
  );
}

let good: TlsFiles;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kvmm-host-pki-"));
  makeCa("ca");
  makeCa("otherca");
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
