import { and, asc, eq, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { grants, users, type GrantKind, type Role } from "../db/schema";
import { generatePassword, hashPassword, verifyPassword } from "../auth/password";
import type { Grant } from "../auth/permissions";
import type { Locale } from "../i18n/locales";
import { ServiceError } from "../errors";
import { revokeUserSessions, sessionIsLive } from "../auth/sessions";

export class UserError extends ServiceError {
  override name = "UserError";
}

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
  grants: Grant[];
  /** The language chosen in Settings; null follows the browser's. */
  locale: Locale | null;
  /** The session this user object was loaded for (the row `sid` in the cookie names). */
  sessionId: string;
}

function grantsOf(db: Db, userId: number): Grant[] {
  return db.select({ kind: grants.kind, value: grants.value }).from(grants).where(eq(grants.userId, userId)).orderBy(asc(grants.id)).all();
}

/** The user behind a session, or null when the account is gone or disabled, or the session ended. */
export function loadSessionUser(db: Db, userId: number, sessionId: string): SessionUser | null {
  const row = db.select().from(users).where(eq(users.id, userId)).get();
  if (!row || row.disabled || !sessionIsLive(db, sessionId, userId)) return null;
  return { id: row.id, username: row.username, role: row.role, grants: grantsOf(db, row.id), locale: row.locale, sessionId };
}

export function findUserByName(db: Db, username: string) {
  return db.select().from(users).where(eq(users.username, username)).get() ?? null;
}

/** The account's name, for messages and audit rows; a missing id is a not_found ServiceError. */
export function usernameOf(db: Db, userId: number): string {
  return requireUser(db, userId).username;
}

function requireUser(db: Db, userId: number) {
  const row = db.select().from(users).where(eq(users.id, userId)).get();
  if (!row) throw new UserError(`user #${userId} does not exist`, "not_found");
  return row;
}

export function listUsers(db: Db) {
  const rows = db.select().from(users).orderBy(asc(users.username)).all();
  return rows.map((u) => ({
    id: u.id,
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
    grants: grantsOf(db, u.id),
  }));
}

export function countUsers(db: Db): number {
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .get()?.n ?? 0
  );
}

export interface NewUser {
  username: string;
  role: Role;
  password?: string;
  grants?: Grant[];
}

/** Creates a user; without a password one is generated and returned so the admin can hand it over once. */
export async function createUser(db: Db, input: NewUser): Promise<{ id: number; password: string | null }> {
  if (findUserByName(db, input.username)) throw new UserError(`user "${input.username}" already exists`, "conflict", { field: "username" });
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const id = db.transaction((tx) => {
    const row = tx.insert(users).values({ username: input.username, passwordHash, role: input.role }).returning({ id: users.id }).get();
    for (const g of input.grants ?? []) tx.insert(grants).values({ userId: row.id, kind: g.kind, value: g.value }).run();
    return row.id;
  });
  return { id, password: input.password ? null : password };
}

function enabledAdminsOtherThan(db: Db, userId: number): number {
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.disabled, false), ne(users.id, userId)))
      .get()?.n ?? 0
  );
}

/** Refuses changes that would leave nobody able to administer the manager. */
function guardLastAdmin(db: Db, userId: number, what: string) {
  const row = requireUser(db, userId);
  if (row.role === "admin" && !row.disabled && enabledAdminsOtherThan(db, userId) === 0) {
    throw new UserError(`cannot ${what} "${row.username}": it is the last enabled admin`, "forbidden");
  }
}

function sameGrants(a: readonly Grant[], b: readonly Grant[]): boolean {
  return a.length === b.length && a.every((g, i) => g.kind === b[i]!.kind && g.value === b[i]!.value);
}

/** A changed role or grants ends the user's sessions: what they may see and do changes at once, not at their next sign-in. */
export function updateUser(db: Db, userId: number, change: { role?: Role; grants?: { kind: GrantKind; value: string }[] }) {
  const row = requireUser(db, userId);
  if (change.role && change.role !== "admin") guardLastAdmin(db, userId, "demote");
  const roleChanged = change.role !== undefined && change.role !== row.role;
  const grantsChanged = change.grants !== undefined && !sameGrants(change.grants, grantsOf(db, userId));
  db.transaction((tx) => {
    if (roleChanged) tx.update(users).set({ role: change.role }).where(eq(users.id, userId)).run();
    if (grantsChanged) {
      tx.delete(grants).where(eq(grants.userId, userId)).run();
      for (const g of change.grants!) tx.insert(grants).values({ userId, kind: g.kind, value: g.value }).run();
    }
  });
  if (roleChanged || grantsChanged) revokeUserSessions(db, userId, roleChanged ? "role changed" : "grants changed");
  return { username: row.username };
}

export function setDisabled(db: Db, userId: number, disabled: boolean, actingUserId: number) {
  if (disabled && userId === actingUserId) throw new UserError("you cannot disable your own account", "forbidden");
  if (disabled) guardLastAdmin(db, userId, "disable");
  const row = requireUser(db, userId);
  db.update(users).set({ disabled }).where(eq(users.id, userId)).run();
  if (disabled) revokeUserSessions(db, userId, "account disabled");
  return { username: row.username };
}

/**
 * Deletes an account: not your own, never the last enabled admin. Its grants and sessions go with
 * it (their streams end); its audit rows stay, with the name it had, because the log is history.
 */
export function deleteUser(db: Db, userId: number, actingUserId: number): { username: string } {
  if (userId === actingUserId) throw new UserError("you cannot delete your own account", "forbidden");
  guardLastAdmin(db, userId, "delete");
  const row = requireUser(db, userId);
  revokeUserSessions(db, userId, "account deleted");
  db.delete(users).where(eq(users.id, userId)).run();
  return { username: row.username };
}

/** Sets a new generated password and ends the user's sessions; the password is shown to the admin once. */
export async function resetPassword(db: Db, userId: number) {
  const row = requireUser(db, userId);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  db.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
  revokeUserSessions(db, userId, "password reset by an admin");
  return { username: row.username, password };
}

/** Ends every other session of the user: whoever learnt the old password is signed out; this browser stays in. */
export async function changeOwnPassword(db: Db, user: { id: number; sessionId: string }, current: string, next: string) {
  const row = requireUser(db, user.id);
  if (!(await verifyPassword(current, row.passwordHash))) throw new UserError("current password is wrong", "invalid");
  const passwordHash = await hashPassword(next);
  db.update(users).set({ passwordHash }).where(eq(users.id, user.id)).run();
  revokeUserSessions(db, user.id, "password changed", { except: user.sessionId });
}

/** The language the user chose in Settings, or null to follow the browser's again. */
export function setOwnLocale(db: Db, userId: number, locale: Locale | null) {
  requireUser(db, userId);
  db.update(users).set({ locale }).where(eq(users.id, userId)).run();
}

/** After a successful sign-in with a hash of an older scheme: store the same password with today's. */
export async function upgradePasswordHash(db: Db, userId: number, plain: string) {
  const passwordHash = await hashPassword(plain);
  db.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
}

export function recordLogin(db: Db, userId: number) {
  db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, userId)).run();
}
