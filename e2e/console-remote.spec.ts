import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { startSecondHost, type SecondHost } from "./fixtures/second-host";
import { TEST_DOMAIN_PREFIX, virsh } from "./fixtures/test-host";
import { addOverSsh, removeIfPresent } from "./support/hosts";
import { ADMIN, signIn, unique } from "./support/session";
import { distinctPixels } from "./support/vnc";

// The graphical console of a VM on another host (issue 14): a second libvirtd in its own namespaces
// (e2e/fixtures/second-host.ts), added over ssh, runs a VM whose VNC display listens on that host's
// loopback; the console tab draws its screen through the manager's ssh forward.

let host: SecondHost | undefined;
let vm: IdleDomain | undefined;

// @desktop: the path of the bytes is the same at any width; the console tab's layout is console.spec.ts's.
test("the console tab of a VM on a host added over ssh draws the VM's screen", { tag: ["@desktop", "@alone"] }, async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const name = unique(testInfo, "vnc-b");
  try {
    host = await startSecondHost();
    vm = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}e2e-vnc-b-${testInfo.project.name}`, { uri: host.uri, vncListen: "127.0.0.1" });
    // Into SeaBIOS, which has nothing to boot: text on the VGA screen.
    await virsh(["start", vm.name], { uri: host.uri });
    await signIn(page, ADMIN.username, ADMIN.password);
    const row = await addOverSsh(page.request, host, name);

    await page.goto(`/vms/${row.id}/${vm.uuid}/console`);
    await expect(page.getByRole("tab", { name: "Graphical" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("status").filter({ hasText: "Connected. Click the screen" })).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => distinctPixels(page), { timeout: 60_000, message: "the noVNC canvas shows the remote VM's screen" }).toBeGreaterThan(1);
    await testInfo.attach("console-remote-graphical", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
  } finally {
    try {
      await removeIfPresent(page.request, name);
    } finally {
      await vm?.remove();
      await host?.stop();
    }
  }
});
