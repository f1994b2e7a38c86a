import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/client";
import { writeAudit } from "../audit/log";
import { signedOutRefusals } from "../audit/signed-out";
import { BODY_LIMIT_SIGNED_OUT, payloadTooLarge, readBodyWithin } from "../http/body-limit";
import { findUserByName, recordLogin, upgradePasswordHash } from "../users/service";
import { canonicalSignInBody, parseSignInBody, type SignInFields } from "./credentials";
import { HashGate } from "./hash-gate";
import { describeRetry, loginRetryAfter, reserveLoginAttempt, settleSuccessfulLogin } from "./login-rate-limit";
import { decoyPasswordHash, needsRehash, verifyPassword } from "./password";
import { createSession } from "./sessions";
import { processSingleton } from "../process-shared";
import { auditTargets } from "../audit/targets";

/**
 * A sign-in, in one place and one order: read the body once (bounded) → check the form's CSRF token
 * → wait for a hashing slot → reserve the attempt against the rate limit → compare the password off
 * the event loop → record the outcome. next-auth only turns the verified user into a cookie: its
 * `authorize` reads the outcome kept for this request (below) and never sees another reading of it.
 */
export interface VerifiedSignIn {
  userId: number;
  username: string;
  sessionId: string;
}

/** One per process: next-auth's `authorize` may run in another bundle's copy of this module. */
const verified = processSingleton("verifiedSignIn", () => new AsyncLocalStorage<VerifiedSignIn | null>());

/** For next-auth's `authorize`: the user this request proved to be, or null. */
export function verifiedSignIn(): VerifiedSignIn | null {
  return verified.getStore() ?? null;
}

/** Two hashes at once (each 64 MiB and a thread-pool thread), 2 per address, 32 waiting. */
const gate = processSingleton("hashGate", () => new HashGate({ concurrent: 2, perClient: 2, queued: 32 }));

export interface SignInRequest {
  req: Request;
  db: Db;
  clientIp: string;
  secret: string;
  /** Hands the canonical request to next-auth, which issues the session cookie. */
  issue: (canonical: Request) => Promise<Response>;
}

function refused(status: number, message: string, headers: Record<string, string> = {}): Response {
  // next-auth's client shows the `error` parameter of `url`; the plain message is there for other clients.
  const url = `/login?error=${encodeURIComponent(message)}`;
  return Response.json({ url, message }, { status, headers });
}

export async function signInWithPassword({ req, db, clientIp, secret, issue }: SignInRequest): Promise<Response> {
  const refusal = (reason: string) => signedOutRefusals().note(db, clientIp, `sign-in (${reason})`);
  const body = await readBodyWithin(req, BODY_LIMIT_SIGNED_OUT);
  if (!body) {
    refusal("too large");
    return payloadTooLarge(BODY_LIMIT_SIGNED_OUT);
  }
  const parsed = parseSignInBody(new TextDecoder().decode(body), req.headers.get("content-type"));
  if (!parsed.ok) {
    refusal("malformed");
    return refused(parsed.status, parsed.message);
  }
  const fields = parsed.fields;
  if (!csrfTokenMatches(req.headers.get("cookie"), fields.csrfToken, secret)) {
    refusal("no valid form token");
    return refused(403, "The sign-in form expired. Reload the page and try again.");
  }
  // A locked-out client is answered at once, without waiting for a hashing slot.
  const blockedFor = loginRetryAfter(db, fields.username, clientIp);
  if (blockedFor > 0) return rateLimited(db, clientIp, blockedFor);
  const checked = await gate.run(clientIp, () => checkPassword(db, fields, clientIp, req.headers.get("user-agent") ?? ""));
  if ("busy" in checked) {
    refusal("server busy");
    return refused(503, "The server is busy checking other sign-ins. Try again in a few seconds.", { "Retry-After": "5" });
  }
  const outcome = checked.value;
  if (outcome && "retryAfterS" in outcome) return rateLimited(db, clientIp, outcome.retryAfterS);
  const canonical = new Request(req.url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: req.headers.get("cookie") ?? "" },
    body: canonicalSignInBody(fields),
  });
  return verified.run(outcome, () => issue(canonical));
}

type Outcome = VerifiedSignIn | { retryAfterS: number } | null;

function rateLimited(db: Db, clientIp: string, retryAfterS: number): Response {
  signedOutRefusals().note(db, clientIp, "sign-in (rate limited)");
  // next-auth's client hands the page only the `error` parameter, so the wait travels inside it.
  return Response.json(
    { url: `/login?error=RateLimited:${retryAfterS}`, message: describeRetry(retryAfterS) },
    { status: 429, headers: { "Retry-After": String(retryAfterS) } },
  );
}

async function checkPassword(db: Db, fields: SignInFields, clientIp: string, userAgent: string): Promise<Outcome> {
  const reservation = reserveLoginAttempt(db, fields.username, clientIp);
  if (!reservation.allowed) return { retryAfterS: reservation.retryAfterS };
  const user = findUserByName(db, fields.username);
  const passwordOk = await verifyPassword(fields.password, user?.passwordHash ?? (await decoyPasswordHash()));
  if (!user || !passwordOk || user.disabled) {
    writeAudit(db, {
      userId: null,
      username: null,
      action: "auth.login",
      // A name that matches no account is often a password typed into the wrong field: it is never stored.
      target: user ? auditTargets.user(user.username) : auditTargets.unknownUser,
      result: "denied",
      error: !user ? "unknown user" : user.disabled ? "account disabled" : "wrong password",
      clientIp,
    });
    return null;
  }
  settleSuccessfulLogin(db, reservation.attemptId, fields.username, clientIp);
  if (needsRehash(user.passwordHash)) await upgradePasswordHash(db, user.id, fields.password);
  recordLogin(db, user.id);
  const sessionId = createSession(db, user.id, { clientIp, userAgent });
  writeAudit(db, { userId: user.id, username: user.username, action: "auth.login", target: auditTargets.user(user.username), result: "ok", clientIp });
  return { userId: user.id, username: user.username, sessionId };
}

const CSRF_COOKIES = ["__Host-next-auth.csrf-token", "next-auth.csrf-token"];

/** next-auth's double-submit check, done first so a forged form never costs a password hash. */
export function csrfTokenMatches(cookieHeader: string | null, bodyToken: string, secret: string): boolean {
  for (const part of (cookieHeader ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || !CSRF_COOKIES.includes(part.slice(0, eq).trim())) continue;
    const [token, hash] = decodeURIComponent(part.slice(eq + 1).trim()).split("|");
    if (!token || !hash) continue;
    const expected = createHash("sha256").update(`${token}${secret}`).digest("hex");
    if (hash.length === expected.length && timingSafeEqual(Buffer.from(hash), Buffer.from(expected)) && token === bodyToken) return true;
  }
  return false;
}
