import { test } from "node:test";
import assert from "node:assert/strict";
import { explainRefusal } from "./probe";

const KEY = "ssh-ed25519 AAAAC3Nza kvm-manager@here";

test("ssh refusing the manager's key says to add its public key to authorized_keys", () => {
  const reason = explainRefusal("ssh", "connection lost during the handshake: ssh exited with code 255: root@10.77.0.2: Permission denied (publickey).", KEY);
  assert.match(reason, /refused the manager's ssh key \(Permission denied \(publickey\)\): add the manager's public key/);
  assert.ok(reason.includes(KEY) && reason.includes("authorized_keys"));
});

test("a host key that is not the pinned one says so, without ssh's banner", () => {
  const banner = "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n…\nHost key verification failed.";
  assert.equal(
    explainRefusal("ssh", `connection lost during the handshake: ssh exited with code 255: ${banner}`, KEY),
    "the host's ssh key does not match the pinned key whose fingerprint was confirmed: scan it again and compare the fingerprint with the host's own",
  );
});

test("other failures keep the transport's own last words; a silent peer is a timeout", () => {
  assert.equal(
    explainRefusal("ssh", "connection lost during the handshake: ssh exited with code 255: ssh: connect to host 10.77.0.2 port 22: Connection refused", KEY),
    "ssh: connect to host 10.77.0.2 port 22: Connection refused",
  );
  assert.equal(
    explainRefusal("tls", "TLS connection to 10.0.0.5:16514 failed: connect ECONNREFUSED 10.0.0.5:16514", null),
    "TLS connection to 10.0.0.5:16514 failed: connect ECONNREFUSED 10.0.0.5:16514",
  );
  assert.equal(explainRefusal("tls", "no answer within 15000 ms", null), "no answer within 15 s");
});
