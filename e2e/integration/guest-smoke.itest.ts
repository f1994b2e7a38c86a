import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { openLineChannel, type LineChannel } from "../fixtures/channel";
import { AGENT_CHANNEL, READY_MARKER, cleanupStaleTestDomains, createTestDomain, ensureLibvirtd, type TestDomain } from "../fixtures/test-host";

/**
 * The test environment itself: a throwaway QEMU guest boots from the cached image, runs a hook
 * added through an initrd overlay, runs node, and its bytes reach the host over the agent channel.
 */

const token = randomBytes(16).toString("hex");
const port = `/dev/virtio-ports/${AGENT_CHANNEL}`;

// Writes one line once the host is connected (a blocking write on a virtio port waits for that),
// then powers off when the host says so. Only one process may hold the port open at a time, and
// it stays open on one descriptor: closing a virtio port discards what arrived and was not read
// yet, so a host line landing between the write's close and the next read's open was lost.
const smokeHook = `#!/bin/sh
token=$(cat /etc/kvmm/smoke-token)
node_version=$(node -e 'process.stdout.write(process.version)') || node_version=failed
echo "kvmm-smoke: node $node_version"
(
  exec 3<>${port}
  echo "kvmm-smoke token=$token node=$node_version" >&3
  while :; do
    if read -r command <&3 && [ "$command" = "poweroff $token" ]; then
      exec poweroff
    fi
    # read returns at once while no host holds the channel.
    usleep 200000
  done
) &
`;

let guest: TestDomain | undefined;
let channel: LineChannel | undefined;

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  guest = await createTestDomain({
    label: "smoke",
    overlay: {
      files: [{ path: "/etc/kvmm/smoke-token", content: `${token}\n`, mode: 0o600 }],
      initScripts: [{ name: "50-smoke", script: smokeHook }],
    },
  });
});

after(async () => {
  await channel?.close();
  await guest?.destroy();
});

test("the guest reaches userspace and reports ready on its serial console", async () => {
  const ready = await guest!.waitForSerial(READY_MARKER, 90_000);
  assert.equal(ready[1], guest!.hostname);
});

test("a line the guest writes to the agent port arrives on the host end of the channel", async () => {
  channel = await openLineChannel(await guest!.channelSocketPath(AGENT_CHANNEL));
  const line = await channel.waitForLine((l) => l.includes(token), { timeoutMs: 60_000, what: "the smoke token" });
  assert.match(line, new RegExp(`^kvmm-smoke token=${token} node=`));
});

test("node runs inside the guest (the host's own binary)", async () => {
  const line = await channel!.waitForLine((l) => l.includes(token), { timeoutMs: 1_000, what: "the smoke token" });
  assert.equal(line.split(" node=")[1], process.version);
  await guest!.waitForSerial(new RegExp(`kvmm-smoke: node ${process.version.replace(/\./g, "\\.")}`), 5_000);
});

test("poweroff inside the guest shuts the domain off cleanly", async () => {
  await channel!.write(`poweroff ${token}\n`);
  await guest!.waitForState("shut off", 60_000);
  assert.match(await guest!.serialLog(), /KVMM-GUEST-SHUTDOWN/);
});
