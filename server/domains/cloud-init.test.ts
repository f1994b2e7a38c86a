import { test } from "node:test";
import assert from "node:assert/strict";
import { buildMetaData, buildUserData, cloudInitSchema } from "./cloud-init";

test("user-data is #cloud-config with the user, keys and hostname", () => {
  const spec = cloudInitSchema.parse({ username: "ops", sshAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 ops@laptop"] });
  const text = buildUserData(spec, "web-1");
  assert.ok(text.startsWith("#cloud-config\n"));
  const config = JSON.parse(text.slice("#cloud-config\n".length));
  assert.equal(config.hostname, "web-1");
  assert.equal(config.users[0].name, "ops");
  assert.equal(config.users[0].lock_passwd, true, "no password: password login stays locked");
  assert.equal(config.ssh_pwauth, false);
  assert.deepEqual(config.users[0].ssh_authorized_keys, ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 ops@laptop"]);
});

test("values cannot add configuration: a hostile password stays one string", () => {
  const password = 'x"\nruncmd: [rm -rf /]\n#';
  const text = buildUserData(cloudInitSchema.parse({ password }), "h");
  const config = JSON.parse(text.slice("#cloud-config\n".length));
  assert.equal(config.users[0].plain_text_passwd, password);
  assert.equal(config.runcmd, undefined);
  assert.equal(text.split("\n").filter((l) => l.startsWith("runcmd")).length, 0);
});

test("bad keys, user names and hostnames are refused by the schema", () => {
  assert.equal(cloudInitSchema.safeParse({ sshAuthorizedKeys: ["not a key"] }).success, false);
  assert.equal(cloudInitSchema.safeParse({ username: "Root Admin" }).success, false);
  assert.equal(cloudInitSchema.safeParse({ hostname: "-bad-" }).success, false);
});

test("meta-data names the instance and host", () => {
  assert.deepEqual(JSON.parse(buildMetaData("vm-uuid", "web-1")), { "instance-id": "vm-uuid", "local-hostname": "web-1" });
});
