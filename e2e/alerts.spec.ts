import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { bootAgentGuest } from "../server/guest/testing/agent-guest";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh, type TestDomain } from "./fixtures/test-host";
import { badgeAgrees } from "./support/alerts";
import { ADMIN, signIn, signOut, unique } from "./support/session";
import { expectSameDocument, markDocument } from "./support/same-document";

/**
 * The alert pages on a real stop: an idle domain (SeaBIOS, no guest to boot) is destroyed with
 * virsh, outside the manager, so no user asked for it and the default "VM crashed" rule fires on
 * the collector's next tick (server/alerts/README.md).
 */

let vm: IdleDomain | undefined;
let guest: TestDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
  await guest?.destroy();
  guest = undefined;
});

test("a VM destroyed outside the manager raises an alert live on /alerts, in the nav badge and on its page; an operator acknowledges it, a viewer cannot", async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const operator = unique(testInfo, "kvmm-test-alert-op");
  const viewer = unique(testInfo, "kvmm-test-alert-viewer");
  const password = "an-alerts-password-1";
  await signIn(page, ADMIN.username, ADMIN.password);
  for (const [username, role] of [
    [operator, "operator"],
    [viewer, "viewer"],
  ]) {
    const created = await page.request.post("/api/trpc/users.create", { data: { username, role, password } });
    expect(created.status(), await created.text()).toBe(200);
  }
  await signOut(page);

  vm = await defineIdleDomain(`kvmm-test-alert-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await virsh(["start", vm.name]);
  await expect.poll(() => vm!.state()).toBe("running");

  await signIn(page, operator, password, `/alerts?uuid=${vm.uuid}`);
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page.getByText("No alerts match.")).toBeVisible();
  await markDocument(page);

  await virsh(["destroy", vm.name]);
  const alert = page.getByTestId("alert").filter({ hasText: "VM crashed" });
  await expect(alert).toBeVisible({ timeout: 30_000 });
  await expect(alert.getByTestId("alert-state")).toHaveText("Firing");
  await expect(alert).toContainText(`VM ${vm.name} on host local`);
  await expect(alert).toContainText("VM stopped or crashed without a user action");
  await expect(page.getByRole("status", { name: "Notices" })).toContainText(`Alert: VM crashed — VM ${vm.name} on host local`);
  const alertId = Number(await alert.getAttribute("data-alert-id"));
  await expect
    .poll(() => badgeAgrees(page, alertId), { message: "the nav badge counts the new firing alert" })
    .toEqual({ firing: true, silenced: false, badgeMatches: true });
  await expectSameDocument(page, "the alert arrived without a reload");

  await page.goto(`/vms/local/${vm.uuid}/overview`);
  const banner = page.getByTestId("vm-alert-banner");
  await expect(banner).toContainText("This VM has 1 active alert:");
  await expect(banner).toContainText("VM crashed");
  await banner.getByRole("link", { name: "See its alerts" }).click();
  await page.waitForURL((url) => url.pathname === "/alerts" && url.searchParams.get("uuid") === vm!.uuid);

  await alert.getByRole("button", { name: "Acknowledge" }).click();
  await expect(alert.getByTestId("alert-state")).toHaveText("Acknowledged");
  await expect(alert.getByTestId("alert-acknowledged")).toContainText(`Acknowledged by ${operator}, `);
  await expect(alert.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);

  const { viewport, isMobile, hasTouch, baseURL } = testInfo.project.use;
  const theirs = await (await browser.newContext({ baseURL, viewport, isMobile, hasTouch, ignoreHTTPSErrors: true })).newPage();
  await signIn(theirs, viewer, password, `/alerts?uuid=${vm.uuid}`);
  const seen = theirs.getByTestId("alert").filter({ hasText: "VM crashed" });
  await expect(seen.getByTestId("alert-acknowledged")).toContainText(`Acknowledged by ${operator}, `);
  await expect(theirs.getByRole("button", { name: /Acknowledge|Silence/ })).toHaveCount(0);
  const refused = await theirs.request.post("/api/trpc/alerts.acknowledge", { data: { id: alertId } });
  expect(refused.status(), await refused.text()).toBe(403);
  await theirs.context().close();
});

// @desktop: what fires the rule is the guest's CPU, which no viewport changes; the phone sees /alerts in the test above.
test(
  'a CPU burn in a real guest, run through our agent, fires a "CPU > 50 % for 15 s" rule live on /alerts, and ending the burn resolves it',
  { tag: "@desktop" },
  async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    const rule = unique(testInfo, "kvmm-test-cpu-burn");
    const stopFile = "/tmp/kvmm-stop-burn";
    await signIn(page, ADMIN.username, ADMIN.password);
    ({ guest } = await bootAgentGuest({ label: `e2e-burn-${testInfo.project.name}` }));
    const vmRef = { hostId: "local", uuid: guest.uuid };
    // The agent starts last in the guest's boot: once it runs a command, the boot's own CPU use is over.
    await expect
      .poll(async () => (await page.request.post("/api/trpc/guest.exec", { data: { ...vmRef, command: "true" } })).status(), {
        message: "our agent answers in the guest",
        timeout: 120_000,
      })
      .toBe(200);
    const created = await page.request.post("/api/trpc/alerts.createRule", {
      data: {
        name: rule,
        // The guest's own CPU figure: with a test running beside this one the TCG vCPU thread gets well under a
        // core, and a burn read from the host's side can dip under the resolve threshold mid-burn.
        metric: "vm.guest.cpu",
        scope: { kind: "vm", ...vmRef },
        comparison: ">",
        threshold: 50,
        resolveThreshold: 30,
        forMs: 15_000,
        severity: "warning",
      },
    });
    expect(created.status(), await created.text()).toBe(200);
    const ruleId = ((await created.json()) as { result: { data: { id: number } } }).result.data.id;
    try {
      await page.goto(`/alerts?uuid=${guest.uuid}`);
      await expect(page.getByText("No alerts match.")).toBeVisible();
      await markDocument(page);

      // busybox sh: `[` is a builtin, so the loop forks nothing and keeps the one vCPU busy until the file exists.
      const burnStarted = Date.now();
      const burn = page.request.post("/api/trpc/guest.exec", {
        data: { ...vmRef, command: "sh", args: ["-c", `while [ ! -e ${stopFile} ]; do :; done`], timeoutMs: 180_000 },
        timeout: 200_000,
      });
      const alert = page.getByTestId("alert").filter({ hasText: rule });
      await expect(alert.getByTestId("alert-state")).toHaveText("Firing", { timeout: 90_000 });
      expect(Date.now() - burnStarted, "fired only after its 15 s window").toBeGreaterThanOrEqual(15_000);
      await expect(alert).toContainText(`VM ${guest.name} on host local`);
      await expect(alert).toContainText(/Processor use inside the guest — Measured \d+(\.\d)? %, threshold above 50\.0 %/);

      const stopped = await page.request.post("/api/trpc/guest.exec", { data: { ...vmRef, command: "touch", args: [stopFile] } });
      expect(stopped.status(), await stopped.text()).toBe(200);
      expect((await burn).status(), "the burn ended when told").toBe(200);
      await expect(alert.getByTestId("alert-state")).toHaveText("Resolved", { timeout: 60_000 });
      await expectSameDocument(page, "the alert fired and resolved without a reload");
    } finally {
      await page.request.post("/api/trpc/alerts.deleteRule", { data: { id: ruleId } });
    }
  },
);
