import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { openDatabase, type Db } from "../server/db/client";
import { auditTargets } from "../server/audit/targets";
import { bootAgentGuest } from "../server/guest/testing/agent-guest";
import type { TestDomain } from "./fixtures/test-host";
import { createEmptyNetwork, createHostBridge, type TestNicSource } from "./fixtures/nic-sources";
import { assertAuditedSince, auditMark } from "./fixtures/audit";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, expectNoHorizontalScroll, expectWithinWidth, signIn } from "./support/session";

/**
 * The VM page's Network tab on a running test guest with our agent: the guest's own card shows
 * the address the agent reports; a card is added on a network, its link set down and up, moved
 * to a host bridge and removed, each change saying when it applies, each leaving one audit row.
 * The network, the bridge and the guest are made for the test and removed after it.
 */

let guest: TestDomain | undefined;
let network: TestNicSource | undefined;
let bridge: TestNicSource | undefined;
let idle: IdleDomain | undefined;
/** The dashboard's own database, for its audit rows; opened once, closed with the worker. */
let db: Db | undefined;

test.afterEach(async () => {
  await guest?.destroy();
  await network?.remove();
  await bridge?.remove();
  await idle?.remove();
  guest = network = bridge = undefined;
  idle = undefined;
});

function card(page: Page, mac: string): Locator {
  return page
    .getByRole("list", { name: "Network cards" })
    .getByRole("listitem")
    .filter({ has: page.getByRole("heading", { name: mac }) });
}

/** Written into the test's output folder as well as attached, so the picture outlives the run whatever the reporter. */
async function keepPicture(page: Page, testInfo: TestInfo) {
  const shot = testInfo.outputPath(`network-tab-${testInfo.project.name}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach(`network-tab-${testInfo.project.name}`, { path: shot, contentType: "image/png" });
}

async function expectNotice(page: Page, text: string) {
  await expect(page.getByRole("status").filter({ hasText: text })).toBeVisible({ timeout: 30_000 });
}

// @desktop: live changes to a booted guest's cards are the same at any width; the phone's tab is the next test's.
test("the Network tab adds a card, sets its link down and up, moves it to a bridge and removes it", { tag: "@desktop" }, async ({ page }, testInfo) => {
  test.setTimeout(360_000);
  const id = randomBytes(3).toString("hex");
  const mac = `52:54:00:e2:${id.slice(0, 2)}:${id.slice(2, 4)}`;
  network = await createEmptyNetwork(`kvmm-e2e-nic-${testInfo.project.name}-${id}`);
  bridge = await createHostBridge(`kvmmbr${id}`);
  ({ guest } = await bootAgentGuest({ label: `e2e-nics-${testInfo.project.name}`, network: true }));
  await guest.waitForReady(180_000);
  db ??= openDatabase(join(process.env.KVMM_E2E_DATA_DIR!, "kvm-manager.sqlite"));
  const vm = auditTargets.vm("local", guest.name);

  await signIn(page, ADMIN.username, ADMIN.password);
  const mark = auditMark(db);
  await page.goto(`/vms/local/${guest.uuid}/network`);
  await expect(page.getByRole("heading", { level: 2, name: "Network" })).toBeVisible();
  await expect(page.getByText("The VM is running: changes apply now")).toBeVisible();
  // The guest's own card (user-mode NAT) gets its address by DHCP once the agent runs; the live events refresh the tab.
  const own = page.getByRole("list", { name: "Network cards" }).getByRole("listitem").first();
  await expect(own.getByText("Reported by the KVM Manager agent, where the card is eth0.")).toBeVisible({ timeout: 150_000 });
  await expect(own.getByText(/^10\.0\.2\.\d+\/24$/)).toBeVisible();

  const add = page.getByRole("region", { name: "Add a network card" });
  await add.getByLabel("MAC address (optional)").fill("01:00:5e:00:00:01");
  await add.getByLabel("Connect to").selectOption({ label: network.name });
  await add.getByRole("button", { name: "Add card" }).click();
  await expect(add.getByText("A multicast address cannot be a card's")).toBeVisible();
  await add.getByLabel("MAC address (optional)").fill(mac.toUpperCase());
  await add.getByRole("button", { name: "Add card" }).click();
  await expectNotice(page, `Network card ${mac} added on network ${network.name}: applies now and at every boot.`);
  const added = card(page, mac);
  await expect(added.getByText(`network ${network.name}`)).toBeVisible();
  await expect(added.getByText("virtio", { exact: true })).toBeVisible();

  await added.getByRole("button", { name: "Set link down" }).click();
  await expectNotice(page, `Link of ${mac} set down: applies now and at every boot.`);
  await expect(added.getByText("down", { exact: true })).toBeVisible();
  await added.getByRole("button", { name: "Set link up" }).click();
  await expectNotice(page, `Link of ${mac} set up: applies now and at every boot.`);
  await expect(added.getByText("up", { exact: true })).toBeVisible();

  await added.getByRole("button", { name: "Change source…" }).click();
  await added.getByLabel("Connect to").selectOption({ label: bridge.name });
  await added.getByRole("button", { name: "Move card" }).click();
  await expectNotice(page, `Network card ${mac} moved to bridge ${bridge.name}: applies now and at every boot.`);
  await expect(added.getByText(`bridge ${bridge.name}`)).toBeVisible();
  await expect(added.getByText(/^vnet\d+$/)).toBeVisible();

  await expectNoHorizontalScroll(page);
  await keepPicture(page, testInfo);

  await added.getByRole("button", { name: "Remove…" }).click();
  const dialog = page.getByRole("dialog", { name: `Remove network card ${mac}?` });
  await dialog.getByRole("button", { name: "Remove card" }).click();
  await expectNotice(page, `Network card ${mac} removed: applies now and at every boot.`);
  await expect(card(page, mac)).toHaveCount(0);
  // libvirt returns once the guest has been asked; the card leaves the running VM when the guest releases it.
  const running = guest;
  await expect.poll(async () => (await running.liveXml()).includes(mac), { timeout: 30_000 }).toBe(false);

  const target = auditTargets.inVm(vm, `NIC ${mac}`);
  assertAuditedSince(
    db,
    mark,
    [
      { action: "nics.add", target: auditTargets.inVm(vm, `NIC on network "${network.name}"`) },
      { action: "nics.setLink", target },
      { action: "nics.setLink", target },
      { action: "nics.setSource", target },
      { action: "nics.remove", target },
    ],
    { about: vm },
  );
});

test("on a phone the Network tab of a VM that is off adds a card whose controls fit the screen", { tag: "@phone" }, async ({ page }, testInfo) => {
  const id = randomBytes(3).toString("hex");
  const mac = `52:54:00:e3:${id.slice(0, 2)}:${id.slice(2, 4)}`;
  network = await createEmptyNetwork(`kvmm-e2e-nic-${testInfo.project.name}-${id}`);
  idle = await defineIdleDomain(`kvmm-test-e2e-nic-${testInfo.project.name}-${id}`);
  await page.setViewportSize({ width: 360, height: 780 });
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${idle.uuid}/network`);
  await expect(page.getByText("The VM is off: changes apply when it next starts.")).toBeVisible();
  await expect(page.getByText("This VM has no network card.")).toBeVisible();

  const add = page.getByRole("region", { name: "Add a network card" });
  await expectWithinWidth(page, [
    add.getByLabel("Connect to"),
    add.getByLabel("Model"),
    add.getByLabel("MAC address (optional)"),
    add.getByRole("button", { name: "Add card" }),
  ]);
  await add.getByLabel("MAC address (optional)").fill(mac);
  await add.getByLabel("Connect to").selectOption({ label: network.name });
  await add.getByRole("button", { name: "Add card" }).click();
  await expectNotice(page, `Network card ${mac} added on network ${network.name}: applies when the VM next starts.`);
  const added = card(page, mac);
  await expect(added.getByText(`network ${network.name}`)).toBeVisible();
  await expectWithinWidth(page, [
    added.getByRole("button", { name: "Set link down" }),
    added.getByRole("button", { name: "Change source…" }),
    added.getByRole("button", { name: "Remove…" }),
  ]);
  await expectNoHorizontalScroll(page);
  await keepPicture(page, testInfo);
});
