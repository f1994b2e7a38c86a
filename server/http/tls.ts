import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The dashboard's certificate. Passwords and session cookies must not cross the LAN in the clear,
 * so HTTPS is the default, as in cockpit and Proxmox: without an operator's certificate
 * (KVMM_TLS_CERT / KVMM_TLS_KEY) a self-signed one is made on first start in the data directory and
 * its SHA-256 fingerprint printed, so a user can compare it with what the browser shows.
 */
export interface TlsMaterial {
  cert: string;
  key: string;
  fingerprint256: string;
  /** Names and addresses the certificate is valid for. */
  subjectAltName: string;
  validTo: Date;
  /** Whether this start made the certificate (it was printed then). */
  created: boolean;
  source: "self-signed" | "operator";
}

/** macOS refuses server certificates valid for longer than 825 days, even self-signed ones the user trusts. */
const VALID_DAYS = 825;
/** A self-signed certificate this close to its end is replaced at start-up. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/** Every name and address a LAN user may type: the host name, localhost and each interface's address. */
export function localNames(): { dns: string[]; ips: string[] } {
  const host = os.hostname();
  const dns = [...new Set([host, host.split(".")[0]!, "localhost"].filter((n) => /^[A-Za-z0-9.-]{1,253}$/.test(n)))];
  const ips = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const addr of list ?? []) {
      // Link-local IPv6 needs a zone id to be typed at all; a certificate cannot name it.
      if (!addr.address.startsWith("fe80:")) ips.add(addr.address);
    }
  }
  return { dns, ips: [...ips] };
}

function subjectAltName({ dns, ips }: { dns: string[]; ips: string[] }): string {
  return [...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
}

function describe(cert: string, key: string, created: boolean, source: TlsMaterial["source"]): TlsMaterial {
  const x509 = new X509Certificate(cert);
  return { cert, key, fingerprint256: x509.fingerprint256, subjectAltName: x509.subjectAltName ?? "", validTo: new Date(x509.validTo), created, source };
}

/** openssl is part of every Debian install (libvirt depends on it too); Node has no certificate writer of its own. */
function generate(certFile: string, keyFile: string): void {
  const names = localNames();
  const tmpKey = `${keyFile}.new`;
  const tmpCert = `${certFile}.new`;
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      String(VALID_DAYS),
      "-subj",
      `/O=KVM Manager/CN=${names.dns[0] ?? "localhost"}`,
      "-addext",
      `subjectAltName=${subjectAltName(names)}`,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "keyUsage=critical,digitalSignature",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-keyout",
      tmpKey,
      "-out",
      tmpCert,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  fs.chmodSync(tmpKey, 0o600);
  fs.renameSync(tmpKey, keyFile);
  fs.renameSync(tmpCert, certFile);
}

/** The self-signed pair in `<dataDir>/tls`, made (or renewed near its end) when needed; the key is 0600 on every start. */
export function selfSignedTls(dataDir: string, now = Date.now()): TlsMaterial {
  const dir = path.join(dataDir, "tls");
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  let created = false;
  const usable =
    fs.existsSync(certFile) && fs.existsSync(keyFile) && new Date(new X509Certificate(fs.readFileSync(certFile)).validTo).getTime() - now > RENEW_BEFORE_MS;
  if (!usable) {
    generate(certFile, keyFile);
    created = true;
  }
  fs.chmodSync(keyFile, 0o600);
  return describe(fs.readFileSync(certFile, "utf8"), fs.readFileSync(keyFile, "utf8"), created, "self-signed");
}

export function operatorTls(certFile: string, keyFile: string): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`${what} ${file}: ${(err as Error).message}`);
    }
  };
  return describe(read(certFile, "KVMM_TLS_CERT"), read(keyFile, "KVMM_TLS_KEY"), false, "operator");
}
