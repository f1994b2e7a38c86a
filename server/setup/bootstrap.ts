import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { dataDir, env } from "../config/env";
import { db } from "../db/client";
import { countUsers, createUser } from "../users/service";
import { writeAudit } from "../audit/log";
import { ensureLocalHost } from "../hosts/service";

/** The session secret lives in the data directory (never in git), created once with owner-only access. */
function ensureSessionSecret(dir: string): string {
  const file = path.join(dir, "session-secret");
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return fs.readFileSync(file, "utf8").trim();
}

async function ensureFirstAdmin() {
  const database = db();
  if (countUsers(database) > 0) return;
  const { KVMM_ADMIN_USER: username, KVMM_ADMIN_PASSWORD: fromEnv } = env();
  const { password } = await createUser(database, { username, role: "admin", password: fromEnv });
  writeAudit(database, { userId: null, username: null, action: "setup.createAdmin", target: `user "${username}"`, result: "ok" });
  if (password) {
    const line = "=".repeat(64);
    console.log(`\n${line}\n First admin created. Sign in with:\n   username: ${username}\n   password: ${password}\n This password is shown once; change it under Settings.\n${line}\n`);
  } else {
    console.log(`First admin "${username}" created with the password from KVMM_ADMIN_PASSWORD.`);
  }
}

/** Everything the process needs before it serves a request; each step is a no-op when already done. */
export async function bootstrap() {
  const dir = dataDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.NEXTAUTH_SECRET ??= ensureSessionSecret(dir);
  // Users reach the dashboard by whatever name or address the LAN gives this host; next-auth takes the origin from the request.
  process.env.AUTH_TRUST_HOST ??= "true";
  db();
  ensureLocalHost(db(), env().KVMM_LIBVIRT_URI);
  await ensureFirstAdmin();
}
