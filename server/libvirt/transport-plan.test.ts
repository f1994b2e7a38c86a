import assert from "node:assert/strict";
import { test } from "node:test";
import { planTransport, remoteProxyCommand, escapeShell, type TransportEnv } from "./transport-plan";
import { parseLibvirtUri, LibvirtUriError } from "./uri";

function env(files: string[] = [], uid = 0): TransportEnv {
  return { uid, home: "/home/u", runtimeDir: "/run/user/1000", exists: (f) => files.includes(f) };
}

const plan = (uri: string, e = env(), readOnly = false) => planTransport(parseLibvirtUri(uri), e, { readOnly });

test("parses URIs the way libvirt does and builds the name sent to the daemon", () => {
  const u = parseLibvirtUri("qemu+ssh://root@kvm1.lan:2222/system?keyfile=/k/id&no_verify=1&foo=bar");
  assert.equal(u.driver, "qemu");
  assert.equal(u.transport, "ssh");
  assert.equal(u.user, "root");
  assert.equal(u.host, "kvm1.lan");
  assert.equal(u.port, 2222);
  assert.equal(u.params.get("keyfile"), "/k/id");
  assert.equal(u.remoteName, "qemu:///system?foo=bar", "client parameters are stripped, others passed on");
  assert.equal(parseLibvirtUri("qemu:///system").remoteName, "qemu:///system");
  assert.equal(parseLibvirtUri("test+unix:///default").remoteName, "test:///default");
  assert.equal(parseLibvirtUri("qemu+ssh://h/system?name=qemu:///session").remoteName, "qemu:///session");
  assert.equal(parseLibvirtUri("qemu+tls://[fe80::1]/system").host, "fe80::1");
  assert.equal(parseLibvirtUri("qemu://kvm1/system").transport, "tls", "a host without transport means TLS");
});

test("rejects URIs libvirt rejects", () => {
  assert.throws(() => parseLibvirtUri("not a uri"), LibvirtUriError);
  assert.throws(() => parseLibvirtUri("qemu+carrier://h/system"), /unknown transport 'carrier'/);
  assert.throws(() => parseLibvirtUri("qemu+unix://host/system"), /unix socket cannot reach remote host/);
  assert.throws(() => plan("qemu+ext:///system"), /needs \?command=/);
  assert.throws(() => plan("qemu+libssh2://h/system"), /not supported/);
});

test("local URIs use the modular daemon socket when present, else libvirtd", () => {
  assert.deepEqual(plan("qemu:///system"), { kind: "unix", path: "/var/run/libvirt/libvirt-sock" });
  assert.deepEqual(plan("qemu:///system", env(["/var/run/libvirt/virtqemud-sock"])), {
    kind: "unix",
    path: "/var/run/libvirt/virtqemud-sock",
  });
  assert.deepEqual(plan("qemu:///system", env(), true), { kind: "unix", path: "/var/run/libvirt/libvirt-sock-ro" });
  assert.deepEqual(plan("test+unix:///default"), { kind: "unix", path: "/var/run/libvirt/libvirt-sock" });
  assert.deepEqual(plan("qemu:///system?mode=direct"), { kind: "unix", path: "/var/run/libvirt/virtqemud-sock" });
  assert.deepEqual(plan("qemu:///session"), { kind: "unix", path: "/run/user/1000/libvirt/libvirt-sock" });
  assert.deepEqual(plan("qemu:///system?socket=/tmp/s"), { kind: "unix", path: "/tmp/s" });
});

test("TLS uses libvirt's default credential files, the user's first when not root", () => {
  assert.deepEqual(plan("qemu+tls://kvm1/system"), {
    kind: "tls",
    host: "kvm1",
    port: 16514,
    caFile: "/etc/pki/CA/cacert.pem",
    certFile: "/etc/pki/libvirt/clientcert.pem",
    keyFile: "/etc/pki/libvirt/private/clientkey.pem",
    verify: true,
  });
  const user = plan("qemu+tls://kvm1:1234/system?no_verify=1", env(["/home/u/.pki/libvirt/clientcert.pem"], 1000));
  assert.ok(user.kind === "tls");
  assert.equal(user.port, 1234);
  assert.equal(user.certFile, "/home/u/.pki/libvirt/clientcert.pem");
  assert.equal(user.caFile, "/etc/pki/CA/cacert.pem", "each file falls back on its own");
  assert.equal(user.verify, false);
  const pki = plan("qemu+tls://kvm1/system?pkipath=/srv/pki");
  assert.ok(pki.kind === "tls" && pki.keyFile === "/srv/pki/clientkey.pem" && pki.caFile === "/srv/pki/cacert.pem");
  assert.deepEqual(plan("qemu+tcp://kvm1/system"), { kind: "tcp", host: "kvm1", port: 16509 });
});

test("ssh runs virt-ssh-helper with a netcat fallback, as libvirt does", () => {
  const p = plan("qemu+ssh://admin@kvm1:2222/system?keyfile=/k/id");
  assert.ok(p.kind === "command");
  assert.equal(p.file, "ssh");
  assert.deepEqual(p.args.slice(0, -1), ["-p", "2222", "-l", "admin", "-i", "/k/id", "-T", "-e", "none", "-o", "BatchMode=yes", "--", "kvm1"]);
  assert.equal(
    p.args.at(-1),
    "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    " +
      "if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'",
  );
  const netcat = plan("qemu+ssh://kvm1/system?socket=/run/s&no_verify=1");
  assert.ok(netcat.kind === "command");
  assert.ok(netcat.args.includes("StrictHostKeyChecking=no"));
  assert.match(netcat.args.at(-1)!, /^sh -c 'if 'nc' .* -U \/run\/s'$/);
  const ro = remoteProxyCommand(parseLibvirtUri("qemu+ssh://kvm1/system?proxy=native"), { readOnly: true });
  assert.equal(ro, "sh -c 'virt-ssh-helper -r 'qemu:///system''");
  const custom = plan("qemu+ssh://kvm1/system?command=/usr/bin/myssh");
  assert.ok(custom.kind === "command" && custom.file === "/usr/bin/myssh");
  assert.deepEqual(plan("qemu+ext:///system?command=/bin/proxy"), { kind: "command", file: "/bin/proxy", args: [] });
});

test("ssh with ?known_hosts= checks the host key against that file alone, strictly, even beside no_verify, and offers the keyfile alone", () => {
  const p = plan("qemu+ssh://root@kvm1/system?keyfile=/data/ssh/id_ed25519&known_hosts=%2Fdata%2Fhosts%2Fkvm1%2Fknown_hosts&no_verify=1");
  assert.ok(p.kind === "command");
  assert.deepEqual(p.args.slice(0, -1), [
    "-l",
    "root",
    "-i",
    "/data/ssh/id_ed25519",
    "-T",
    "-e",
    "none",
    "-o",
    "BatchMode=yes",
    "-o",
    "UserKnownHostsFile=/data/hosts/kvm1/known_hosts",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "IdentitiesOnly=yes",
    "--",
    "kvm1",
  ]);
});

test("shell escaping quotes only when needed, like virBufferEscapeShell", () => {
  assert.equal(escapeShell("qemu:///system"), "qemu:///system");
  assert.equal(escapeShell(""), "''");
  assert.equal(escapeShell("a b"), "'a b'");
  assert.equal(escapeShell("it's"), "'it'\\''s'");
});
