import { test } from "node:test";
import assert from "node:assert/strict";
import { sameOriginPath } from "./safe-redirect";

const BASE = "https://kvm.example.lan:3000";

test("open redirect: only paths on this site survive; everything that leaves it becomes /", () => {
  const leaving = [
    "/%5Cevil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http://kvm.example.lan:3000/", // same host, other scheme: another origin
    "javascript:alert(1)",
    "/\t/evil.example",
    "\u0000/x",
  ];
  for (const target of leaving) {
    const path = sameOriginPath(decodeURIComponent(target.replace(/%(?![0-9A-F]{2})/gi, "%25")), BASE);
    const resolved = new URL(path, BASE);
    assert.equal(resolved.origin, new URL(BASE).origin, `${JSON.stringify(target)} → ${path}`);
  }
  assert.equal(sameOriginPath("/%5Cevil.example", BASE), "/%5Cevil.example", "an encoded backslash stays a literal path segment");
  assert.equal(sameOriginPath("//evil.example", BASE), "/");
});

test("paths on this site keep their query and fragment", () => {
  assert.equal(sameOriginPath("/vms/local/1234?tab=console#x", BASE), "/vms/local/1234?tab=console#x");
  assert.equal(sameOriginPath(`${BASE}/storage`, BASE), "/storage");
  assert.equal(sameOriginPath(undefined, BASE), "/");
  assert.equal(sameOriginPath("", BASE), "/");
});
