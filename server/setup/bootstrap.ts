import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { dataDir, env } from "../config/env";
import { db } from "../db/client";
import { countUsers, createUser } from "../users/service";
import { writeAudit } from "../audit/log";
import { ensureLocalHost } from "../hosts/service";
import { pruneSessions } from "../auth/sessions";
import { auditTargets } from "../audit/targets";
import { operatorTls, selfSignedTls, type TlsMaterial } from "../http/tls";

/** The session secret lives in the data directory (never in git), created once with owner-only access. */
function ensureSessionSecret(dir: string): string {
  const file = path.join(dir, "session-secret");
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return fs.readFileSync(file, "utf8").trim();
}

/**
 * The data directory holds the database (password hashes, audit log), the session secret and the
 * TLS key: owner-only, checked on every start — not only when this process created it, since an
 * operator may have made it, restored it from a backup or copied it with other modes.
 */
export function restrictDataDir(dir: string) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  for (const name of ["kvm-manager.sqlite", "kvm-manager.sqlite-wal", "kvm-manager.sqlite-shm", "session-secret"]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  }
}

function loadTls(dir: string): TlsMaterial | null {
  const config = env();
  if (config.KVMM_TLS === "off") return null;
  if (config.KVMM_TLS_CERT && config.KVMM_TLS_KEY) return operatorTls(config.KVMM_TLS_CERT, config.KVMM_TLS_KEY);
  return selfSignedTls(dir);
}

function printBanner(lines: string[]) {
  const rule = "=".repeat(64);
  console.log(`\n${rule}\n${lines.map((l) => ` ${l}`).join("\n")}\n${rule}\n`);
}

async function ensureFirstAdmin(tls: TlsMaterial | null) {
  const database = db();
  if (countUsers(database) > 0) return;
  const { KVMM_ADMIN_USER: username, KVMM_ADMIN_PASSWORD: fromEnv } = env();
  const { password } = await createUser(database, { username, role: "admin", password: fromEnv });
  writeAudit(database, { userId: null, username: null, action: "setup.createAdmin", target: auditTargets.user(username), result: "ok" });
  const certificate = tls ? ["", "Your browser will show this certificate's SHA-256 fingerprint:", `  ${tls.fingerprint256}`] : [];
  if (password) {
    printBanner([
      "First admin created. Sign in with:",
      `  username: ${username}`,
      `  password: ${password}`,
      "This password is shown once; change it under Settings.",
      ...certificate,
    ]);
  } else {
    printBanner([`First admin "${username}" created with the password from KVMM_ADMIN_PASSWORD.`, ...certificate]);
  }
}

/** Everything the process needs before it serves a request; each step is a no-op when already done. */
export async function bootstrap(): Promise<{ tls: TlsMaterial | null }> {
  const dir = dataDir();
  restrictDataDir(dir);
  process.env.NEXTAUTH_SECRET ??= ensureSessionSecret(dir);
  // Users reach the dashboard by whatever name or address the LAN gives this host; next-auth takes
  // the origin from the request (the front door sets the scheme it really used).
  process.env.AUTH_TRUST_HOST ??= "true";
  const tls = loadTls(dir);
  db();
  restrictDataDir(dir);
  pruneSessions(db());
  ensureLocalHost(db(), env().KVMM_LIBVIRT_URI);
  await ensureFirstAdmin(tls);
  return { tls };
}
