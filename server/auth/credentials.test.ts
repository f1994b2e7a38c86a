import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalSignInBody, parseSignInBody } from "./credentials";

const FORM = "application/x-www-form-urlencoded";

test("sign-in limit bypass: a field sent twice is refused, so no reader can pick another copy", () => {
  const twice = parseSignInBody("username=locked&username=admin&password=pw&csrfToken=t", FORM);
  assert.deepEqual(twice, { ok: false, status: 400, message: 'the sign-in form has "username" 2 times' });
});

test("a JSON body is read once, and what next-auth receives is rebuilt from that one reading", () => {
  const parsed = parseSignInBody(JSON.stringify({ username: " admin ", password: "pw", csrfToken: "t", extra: "ignored" }), "application/json; charset=utf-8");
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.deepEqual(parsed.fields, { username: "admin", password: "pw", csrfToken: "t", callbackUrl: null });
  const canonical = canonicalSignInBody(parsed.fields);
  assert.deepEqual([...canonical.keys()], ["username", "password", "csrfToken", "json"]);
  assert.equal(canonical.get("username"), "admin");
});

test("bodies that are not a sign-in form are refused with a reason", () => {
  assert.equal(parseSignInBody("username=a&password=b&csrfToken=c", "text/plain").ok, false);
  assert.equal(parseSignInBody("[1,2]", "application/json").ok, false);
  assert.equal(parseSignInBody('{"username":["a","b"],"password":"p","csrfToken":"t"}', "application/json").ok, false);
  assert.equal(parseSignInBody("username=a&csrfToken=c", FORM).ok, false, "no password");
  assert.equal(parseSignInBody(`username=${"a".repeat(65)}&password=p&csrfToken=c`, FORM).ok, false, "name too long");
});
