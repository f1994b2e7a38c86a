import { z } from "zod";

/**
 * The one reading of a sign-in request's body. The rate limiter, the password check and next-auth
 * all act on what this returns: when two parsers each read the body their own way (the first
 * `username` of a form against the last, a form against JSON), a locked account could be signed
 * into by sending a name the limiter did not see.
 */
export interface SignInFields {
  username: string;
  password: string;
  csrfToken: string;
  callbackUrl: string | null;
}

export type ParsedSignIn = { ok: true; fields: SignInFields } | { ok: false; status: 400 | 415; message: string };

const fieldsSchema = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
  csrfToken: z.string().min(1).max(256),
  callbackUrl: z.string().max(2048).optional(),
});

class Refusal {
  constructor(
    readonly status: 400 | 415,
    readonly message: string,
  ) {}
}

/** A field sent twice is refused: which copy counts would otherwise depend on who reads the form. */
function fromForm(text: string): Record<string, string> | Refusal {
  const params = new URLSearchParams(text);
  const out: Record<string, string> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    if (values.length > 1) return new Refusal(400, `the sign-in form has "${key}" ${values.length} times`);
    out[key] = values[0]!;
  }
  return out;
}

/** JSON.parse keeps the last of two equal keys; since next-auth only ever sees the canonical form built from this one parse, that is the copy everyone acts on. */
function fromJson(text: string): Record<string, string> | Refusal {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new Refusal(400, "the sign-in request is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return new Refusal(400, "the sign-in request must be a JSON object");
  const out: Record<string, string> = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field !== "string") return new Refusal(400, `the sign-in field "${key}" must be text`);
    out[key] = field;
  }
  return out;
}

export function parseSignInBody(text: string, contentType: string | null): ParsedSignIn {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  let raw: Record<string, string> | Refusal;
  if (type === "application/x-www-form-urlencoded") raw = fromForm(text);
  else if (type === "application/json") raw = fromJson(text);
  else raw = new Refusal(415, "send the sign-in form as application/x-www-form-urlencoded or application/json");
  if (raw instanceof Refusal) return { ok: false, status: raw.status, message: raw.message };
  const parsed = fieldsSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, status: 400, message: "username, password and the form's token are required" };
  return { ok: true, fields: { ...parsed.data, callbackUrl: parsed.data.callbackUrl ?? null } };
}

/** The body next-auth receives: only the fields read above, in the encoding its own client sends. */
export function canonicalSignInBody(fields: SignInFields): URLSearchParams {
  const body = new URLSearchParams({ username: fields.username, password: fields.password, csrfToken: fields.csrfToken, json: "true" });
  if (fields.callbackUrl !== null) body.set("callbackUrl", fields.callbackUrl);
  return body;
}
