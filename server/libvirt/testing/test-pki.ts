// Certificates for tests, made by openssl and laid out as libvirt's pkipath expects:
// `<ca>cert.pem` / `<ca>key.pem` for a CA, `<name>cert.pem` / `<name>key.pem` for what it issues
// (so "ca", "server" and "client" give cacert.pem, servercert.pem, clientkey.pem…). P-256 keys:
// an RSA key costs openssl about a second each on this machine.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A self-signed CA in `dir`: `<ca>cert.pem`, `<ca>key.pem`, its CN the name. */
export function makeTestCa(dir: string, ca: string, days: number): void {
  openssl(dir, ["req", "-x509", ...EC_KEY, "-keyout", `${ca}key.pem`, "-out", `${ca}cert.pem`, "-days", String(days), "-subj", `/CN=${ca}`]);
}

export interface TestCertificate {
  /** The files' prefix: `<name>cert.pem`, `<name>key.pem`. */
  name: string;
  cn: string;
  /** The CA's prefix, made by makeTestCa in the same directory. */
  ca: string;
  days: number;
  /** openssl extension lines (`subjectAltName=IP:10.0.0.2`, `extendedKeyUsage=clientAuth`). */
  extensions: string[];
}

/** A key and a certificate for it issued by the CA, both in `dir`. */
export function issueTestCertificate(dir: string, cert: TestCertificate): void {
  const { name, ca } = cert;
  openssl(dir, ["req", ...EC_KEY, "-keyout", `${name}key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${cert.cn}`]);
  writeFileSync(path.join(dir, `${name}.ext`), `${cert.extensions.join("\n")}\n`);
  openssl(dir, [
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
    String(cert.days),
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}cert.pem`,
  ]);
}
