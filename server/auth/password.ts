import { randomBytes } from "node:crypto";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from "@node-rs/argon2";

export const MIN_PASSWORD_LENGTH = 10;

/**
 * Argon2id with RFC 9106's second recommended setting (64 MiB, 3 passes). Measured here: 90–150 ms a
 * hash on one core of this 2-core machine. The binding runs on libuv's thread pool, never on the
 * event loop: with bcryptjs (pure JS) 60 sign-ins made an unrelated request wait 10 s.
 */
/** `Algorithm.Argon2id`: the binding declares its enum `const`, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 64 * 1024, timeCost: 3, parallelism: 1 } as const;

/** Hashes made before Argon2id (bcrypt, `$2a$`/`$2b$`/`$2y$`) still verify, and are replaced at the next sign-in. */
const BCRYPT_PREFIX = /^\$2[aby]\$/;

/**
 * bcrypt has no native binding that installs here (@node-rs/bcrypt's lockfile entries are
 * incomplete, so `npm ci` refuses it), so the JavaScript one runs in a worker thread. A worker per
 * check costs ~30 ms, and only users whose hash predates Argon2id ever need one, once.
 * Loaded by path from the checkout: the file must not go through Next's bundler.
 */
function verifyBcrypt(plain: string, hash: string): Promise<boolean> {
  const file = path.join(process.cwd(), "server/auth/legacy-bcrypt-worker.mjs");
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: { plain, hash } });
    worker.once("message", (ok: unknown) => resolve(ok === true));
    worker.once("error", reject);
    worker.once("exit", (code) => code !== 0 && reject(new Error(`bcrypt worker exited with ${code}`)));
  });
}

export function hashPassword(plain: string): Promise<string> {
  return argon2Hash(plain, ARGON2_OPTIONS);
}

export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (BCRYPT_PREFIX.test(stored)) return verifyBcrypt(plain, stored);
  if (stored.startsWith("$argon2")) return argon2Verify(stored, plain).catch(() => false);
  return false;
}

/** Whether a stored hash should be replaced by one with today's scheme and parameters (after it verified). */
export function needsRehash(stored: string): boolean {
  const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
  return !stored.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
}

/** A hash of a random password, compared against when the user does not exist so timing does not reveal it. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString("hex"));
  return decoyHash;
}

/** 20 characters from an alphabet without look-alikes (0/O, 1/l/I): about 115 bits. */
export function generatePassword(length = 20): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  for (const b of bytes) {
    if (b >= 256 - (256 % alphabet.length)) continue; // rejection sampling keeps the choice uniform
    out += alphabet[b % alphabet.length];
    if (out.length === length) return out;
  }
  return out + generatePassword(length - out.length);
}
