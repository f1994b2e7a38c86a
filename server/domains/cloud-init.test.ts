import { test } from "node:test";
import assert from "node:assert/strict";
import { buildMetaData, buildUserData, cloudInitSchema, hashPassword, parseUserData, resolveSeedSpec, type SeedSpec } from "./cloud-init";
import { ServiceError } from "../errors";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 ops@laptop";
const spec = (over: Partial<SeedSpec> = {}): SeedSpec => ({ hostname: "web-1", username: "ops", passwordHash: null, sshAuthorizedKeys: [KEY], ...over });
const configOf = (text: string) => {
  assert.ok(text.startsWith("#cloud-config\n"));
  return JSON.parse(text.slice("#cloud-config\n".length)) as Record<string, unknown> & { users: Record<string, unknown>[] };
};
const fieldError = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof ServiceError && err.kind === "invalid" && err.field === "cloudInit.userData" && pattern.test(err.message));

test("user-data is #cloud-config with the user, keys and hostname; no password: password login stays locked", () => {
  const config = configOf(buildUserData(spec()));
  assert.equal(config.hostname, "web-1");
  assert.equal(config.users[0]!.name, "ops");
  assert.equal(config.users[0]!.lock_passwd, true);
  assert.equal(config.users[0]!.passwd, undefined);
  assert.equal(config.ssh_pwauth, false);
  assert.deepEqual(config.users[0]!.ssh_authorized_keys, [KEY]);
});

test("a password becomes a SHA-512 crypt hash: the seed holds the hash, never the password", async () => {
  const password = "correct horse battery";
  const resolved = await resolveSeedSpec({ username: "ops", password, sshAuthorizedKeys: [] }, "web-1");
  assert.match(resolved.passwordHash ?? "", /^\$6\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{86}$/);
  const text = buildUserData(resolved);
  assert.ok(!text.includes(password), "the password itself is not in the user-data");
  const config = configOf(text);
  assert.equal(config.users[0]!.passwd, resolved.passwordHash);
  assert.equal(config.users[0]!.lock_passwd, false);
  assert.equal(config.ssh_pwauth, true);
  // Salted: the same password hashes differently each time.
  assert.notEqual(await hashPassword(password), await hashPassword(password));
});

test("a pasted hash is used as it is; a password with a line break is refused on its field", async () => {
  const hash = "$6$saltsalt$abcdefghijklmnopqrstuvwxyz";
  assert.equal((await resolveSeedSpec({ username: "ops", passwordHash: hash, sshAuthorizedKeys: [] }, "h")).passwordHash, hash);
  await assert.rejects(
    resolveSeedSpec({ username: "ops", password: "first line\nsecond", sshAuthorizedKeys: [] }, "h"),
    (err: unknown) => err instanceof ServiceError && err.field === "cloudInit.password" && /line break/.test(err.message),
  );
});

test("the user's mapping is kept under the generated keys: ours win, the first user is prepended to theirs", async () => {
  const userData = parseUserData(
    [
      "#cloud-config",
      "hostname: other",
      "fqdn: other.example.com",
      "packages: [nginx]",
      "users:",
      "  - default",
      "  - name: ops",
      "    shell: /bin/sh",
      "  - name: extra",
    ].join("\n"),
  );
  const config = configOf(buildUserData(spec({ userData })));
  assert.equal(config.hostname, "web-1");
  assert.equal(config.fqdn, undefined, "an fqdn naming another host is dropped");
  assert.deepEqual(config.packages, ["nginx"]);
  assert.deepEqual(
    config.users.map((u) => (typeof u === "string" ? u : u.name)),
    ["ops", "default", "extra"],
  );
  assert.equal(config.users[0]!.shell, "/bin/bash", "the generated user replaces theirs of the same name");
  assert.equal(configOf(buildUserData(spec({ userData: { fqdn: "web-1.example.com" } }))).fqdn, "web-1.example.com");
});

test("a YAML syntax error is a field error with the line and column in plain words", () => {
  fieldError(() => parseUserData("packages:\n  - a\n b: [unclosed"), /^user-data is not valid YAML at line \d+, column \d+: /);
  fieldError(() => parseUserData("a: 1\na: 2"), /line 2, column 1/);
});

test("user-data that is not a mapping is refused: a list, a single value", () => {
  fieldError(() => parseUserData("- a\n- b"), /must be a mapping.*not a list/);
  fieldError(() => parseUserData("just words"), /must be a mapping.*not a single value/);
  assert.deepEqual(parseUserData("#cloud-config\n"), {});
});

test("injection attempts stay values: a hostile password, key comment or YAML value adds no keys", async () => {
  const userData = parseUserData('write_files:\n  - content: "x\\nruncmd: [rm -rf /]"\n    path: /tmp/a\nevil: !!js/function "function(){}"');
  const hostileKey = `${KEY} "}\nruncmd: [reboot]\n#`.replace(/\n/g, " ");
  const text = buildUserData(spec({ userData, sshAuthorizedKeys: [hostileKey], passwordHash: '$6$x"\nruncmd: [rm -rf /]' }));
  const config = configOf(text);
  assert.equal(config.runcmd, undefined);
  assert.equal(text.split("\n").filter((l) => /^\s*"?runcmd/.test(l)).length, 0);
  assert.equal(typeof config.evil, "string", "an unknown YAML tag stays a plain string");
  assert.deepEqual(config.users[0]!.ssh_authorized_keys, [hostileKey]);
});

test("an alias bomb is refused rather than expanded", () => {
  const bomb = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    ...Array.from({ length: 8 }, (_, i) => `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i]}`).join(", ")}]`),
  ].join("\n");
  fieldError(() => parseUserData(bomb), /.+/);
});

test("bad keys, user names and hostnames are refused by the schema", () => {
  assert.equal(cloudInitSchema.safeParse({ sshAuthorizedKeys: ["not a key"] }).success, false);
  assert.equal(cloudInitSchema.safeParse({ username: "Root Admin" }).success, false);
  assert.equal(cloudInitSchema.safeParse({ hostname: "-bad-" }).success, false);
});

test("meta-data names the instance and host", () => {
  assert.deepEqual(JSON.parse(buildMetaData("vm-uuid", "web-1")), { "instance-id": "vm-uuid", "local-hostname": "web-1" });
});
