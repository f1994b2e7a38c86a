import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, signOut, unique } from "./support/session";
import { expectSameDocument, markDocument } from "./support/same-document";

/**
 * The dashboard's VM counts follow the event stream: an idle domain (SeaBIOS, nothing to boot) is
 * started and destroyed with virsh, outside the manager, while a viewer granted only that VM's name
 * watches the dashboard — so the counts are exactly its one VM's, whatever else runs on the host.
 */

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

test("a VM started and stopped with virsh moves between the dashboard's running and shut-off counts without a reload; a viewer sees no audit card, an admin does", async ({
  page,
}, testInfo) => {
  const viewer = unique(testInfo, "kvmm-test-dash-viewer");
  const password = "a-dashboard-password-1";
  vm = await defineIdleDomain(`kvmm-test-dashlive-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);

  await signIn(page, ADMIN.username, ADMIN.password);
  await expect(page.getByTestId("dash-audit")).toBeVisible();
  await expect(page.getByTestId("dash-audit").getByRole("link", { name: "Audit log" })).toHaveAttribute("href", "/audit");
  const created = await page.request.post("/api/trpc/users.create", {
    data: { username: viewer, role: "viewer", password, grants: [{ kind: "name", value: vm.name }] },
  });
  expect(created.status(), await created.text()).toBe(200);
  await signOut(page);

  await signIn(page, viewer, password);
  const running = page.getByTestId("dash-state-running");
  const shutoff = page.getByTestId("dash-state-shutoff");
  await expect(shutoff).toHaveText("1");
  await expect(running).toHaveText("0");
  await expect(page.getByRole("link", { name: /Shut off/ })).toHaveAttribute("href", "/vms?state=shutoff");
  await expect(page.getByText("Recent activity")).toHaveCount(0);
  await expect(page.getByTestId("dash-audit")).toHaveCount(0);
  await expectNoHorizontalScroll(page);
  await markDocument(page);

  await virsh(["start", vm.name]);
  await expect(running).toHaveText("1");
  await expect(shutoff).toHaveText("0");
  await expect(page.getByTestId("dash-agent-none")).toHaveText("1");
  await virsh(["destroy", vm.name]);
  await expect(running).toHaveText("0");
  await expect(shutoff).toHaveText("1");
  await expectSameDocument(page, "the counts changed without a reload");
});
