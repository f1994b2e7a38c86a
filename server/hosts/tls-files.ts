/**
 * A TLS host's three files (CA certificate, client certificate, client key), checked the way the
 * TLS handshake will check them before anything is stored, so a wrong upload is refused naming the
 * file instead of failing later as "handshake failed". Stored 0600 where libvirt's `pkipath`
 * expects them.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ServiceError } from "../errors";

export interface TlsFiles {
  caPem: string;
  certPem: string;
  keyPem: string;
}

type Field = keyof TlsFiles;

const WORDS: Record<Field, string> = {
  caPem: "the CA certificate",
  certPem: "the client certificate",
  keyPem: "the client key",
};

function refuse(field: Field, problem: string): never {
  throw new ServiceError(`${WORDS[field]}: ${problem}`, "invalid", { field });
}

function certificate(field: Field, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    return refuse(field, "not a PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
}

function privateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    return refuse("keyPem", "not an unencrypted PEM private key (libvirt cannot use a key with a passphrase)");
  }
}

function checkDates(field: Field, cert: X509Certificate, now: Date): void {
  if (now.getTime() < Date.parse(cert.validFrom)) refuse(field, `not valid before ${new Date(cert.validFrom).toISOString()}`);
  if (now.getTime() > Date.parse(cert.validTo)) refuse(field, `expired on ${new Date(cert.validTo).toISOString()}`);
}

/** Refuses (a ServiceError naming the file in `field`) what the handshake would refuse. */
export function checkTlsFiles(files: TlsFiles, now: Date = new Date()): void {
  const ca = certificate("caPem", files.caPem);
  if (!ca.ca) refuse("caPem", `"${ca.subject.replace(/\n/g, ", ")}" is not a certificate authority (its basic constraints say CA:FALSE)`);
  checkDates("caPem", ca, now);
  const cert = certificate("certPem", files.certPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) refuse("certPem", "not issued by this CA (its signature does not verify with the CA's key)");
  checkDates("certPem", cert, now);
  if (!cert.checkPrivateKey(privateKey(files.keyPem))) refuse("keyPem", "does not belong to the client certificate");
}

/** `<dir>/{cacert,clientcert,clientkey}.pem`, 0600: the layout libvirt's `pkipath` names. */
export async function writeTlsFiles(dir: string, files: TlsFiles): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, text: string) => writeFile(path.join(dir, name), text, { mode: 0o600 });
  await Promise.all([write("cacert.pem", files.caPem), write("clientcert.pem", files.certPem), write("clientkey.pem", files.keyPem)]);
}
