import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { openDatabase, type Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, virsh } from "./fixtures/test-host";
import { testRunRoot } from "./fixtures/paths";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { assertAuditedSince, auditMark } from "./fixtures/audit";
import { ADMIN, expectNoHorizontalScroll, navigate, signIn, unique, vmTab } from "./support/session";

/**
 * Templates as an admin uses them, with no guest booted: a shut-off idle domain (its 16 MiB disk a
 * volume of a pool over the domain's own directory) becomes a template from its Settings tab; the
 * template turns ready on /templates; a linked clone is deployed with cloud-init (an invalid
 * user-data document is caught next to the editor first, and nothing is sent); the template's
 * delete is refused while the clone exists and lists it; once the clone is deleted the template
 * goes. A viewer, meanwhile, sees the library but no control to make, deploy or delete.
 */

let vm: IdleDomain | undefined;
let pool: string | undefined;
let clone: string | undefined;

function serverDb(): Db {
  const dir = process.env.KVMM_E2E_DATA_DIR;
  if (!dir) throw new Error("KVMM_E2E_DATA_DIR is not set: run this through playwright.config.ts");
  return openDatabase(join(dir, "kvm-manager.sqlite"));
}

/** The phone project also proves the narrowest phones we support. */
async function narrowOnPhone(page: Page, testInfo: TestInfo) {
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
}

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  // What a failed run may leave: the clone's definition; its volumes are in the pool's directory, which vm.remove() deletes.
  if (clone) await virsh(["undefine", clone]).catch(() => undefined);
  clone = undefined;
  if (pool) {
    await virsh(["pool-destroy", pool]).catch(() => undefined);
    await virsh(["pool-undefine", pool]).catch(() => undefined);
    pool = undefined;
  }
  await vm?.remove();
  vm = undefined;
});

test("an admin makes a template of a shut-off VM, deploys a linked clone with cloud-init from it, and deletes it once the clone is gone; a viewer sees it without controls", async ({
  page,
  browser,
}, testInfo) => {
  await ensureLibvirtd();
  await narrowOnPhone(page, testInfo);
  const suffix = randomBytes(2).toString("hex");
  const project = testInfo.project.name;
  vm = await defineIdleDomain(`kvmm-test-tplsrc-${suffix}-${project}`);
  pool = vm.name;
  await virsh(["pool-define-as", pool, "dir", "--target", join(testRunRoot(), vm.name)]);
  await virsh(["pool-start", pool]);
  const template = `kvmm-tpl-${suffix}-${project}`;
  clone = `kvmm-test-tplclone-${suffix}-${project}`;
  const viewer = unique(testInfo, "kvmm-test-tpl-viewer");
  const password = "a-templates-password-1";
  const db = serverDb();
  const mark = auditMark(db);

  await signIn(page, ADMIN.username, ADMIN.password);
  const created = await page.request.post("/api/trpc/users.create", { data: { username: viewer, role: "viewer", password } });
  expect(created.status(), await created.text()).toBe(200);

  // Made from the VM's Settings tab.
  await page.goto(`/vms/local/${vm.uuid}/overview`);
  await vmTab(page, "Settings");
  const section = page.getByRole("region", { name: "Template", exact: true });
  await section.getByRole("button", { name: "Make template…" }).click();
  const make = page.getByRole("dialog", { name: `Make a template of ${vm.name}` });
  await make.getByLabel("Template name").fill(template);
  await make.getByLabel("Pool for the copies").selectOption(pool);
  await make.getByRole("button", { name: "Make template" }).click();
  await expect(section.getByRole("status")).toContainText(`Template ${template} is being made from ${vm.name}`);
  await expect(section.getByRole("link", { name: "Follow the task" })).toHaveAttribute("href", `/tasks?hostId=local&uuid=${vm.uuid}`);
  // The VM's task line appears above the tabs with the copy, and moves the section down: clicked once it has settled.
  await expect(page.getByTestId("vm-task-line")).toContainText("Last task: Template creation, Succeeded");
  await section.getByRole("link", { name: "See it in the template library" }).click();
  await page.waitForURL((url) => url.pathname === "/templates");

  const card = page.getByRole("listitem", { name: `Template ${template}` });
  await expect(card).toHaveAttribute("data-template-state", "ready", { timeout: 30_000 });
  await expect(card.getByTestId("template-state")).toHaveText("Ready");
  await expect(card.getByTestId("template-disk")).toHaveText([new RegExp(`^vda: 16 MiB .*qcow2 volume ${template}-vda\\.qcow2$`)]);
  await expect(card).toContainText(vm.name);
  await expect(card).toContainText(`Made by ${ADMIN.username} at`);
  await expectNoHorizontalScroll(page);

  // A viewer sees the library and the VM's settings, without any control to make, deploy or delete.
  const { viewport, isMobile, hasTouch, baseURL } = testInfo.project.use;
  const theirs = await (await browser.newContext({ baseURL, viewport, isMobile, hasTouch, ignoreHTTPSErrors: true })).newPage();
  await narrowOnPhone(theirs, testInfo);
  await signIn(theirs, viewer, password);
  await navigate(theirs, "Templates");
  const seen = theirs.getByRole("listitem", { name: `Template ${template}` });
  await expect(seen.getByTestId("template-state")).toHaveText("Ready");
  await expect(seen.getByRole("button")).toHaveCount(0);
  await theirs.goto(`/vms/local/${vm.uuid}/settings`);
  await expect(theirs.getByRole("heading", { name: vm.name, level: 1 })).toBeVisible();
  await expect(theirs.getByRole("region", { name: "Template", exact: true })).toHaveCount(0);
  await expect(theirs.getByRole("button", { name: "Make template…" })).toHaveCount(0);
  await theirs.context().close();

  // Deployed as a linked clone with a hostname and a user-data document: a tab-indented one is refused in the dialog first.
  await card.getByRole("button", { name: "Deploy…" }).click();
  const deploy = page.getByRole("dialog", { name: `Deploy a new VM from template ${template}` });
  await deploy.getByLabel("Name of the new VM").fill(clone);
  await expect(deploy.getByRole("radio", { name: /^Linked clone/ })).toBeChecked();
  await deploy.getByLabel("Pool for the new disks").selectOption(pool);
  await deploy.getByLabel("Customise the guest with cloud-init").check();
  await deploy.getByLabel("Hostname", { exact: true }).fill("web-1");
  const userData = deploy.getByLabel("User-data (cloud-config)");
  await userData.fill("#cloud-config\npackages:\n  - nginx\n\truncmd: []\n");
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  const userDataError = deploy.locator("#deploy-ci-user-data-error");
  await expect(userDataError).toHaveText("The user-data is not valid YAML at line 4, column 1: a tab is used for indentation; YAML needs spaces.");
  await expect(userData).toHaveAttribute("aria-invalid", "true");
  await expect(userData).toBeFocused();
  await expectNoHorizontalScroll(page);
  expect((await virsh(["list", "--all", "--name"])).split("\n"), "nothing was deployed").not.toContain(clone);

  await userData.fill("#cloud-config\npackages:\n  - nginx\nruncmd:\n  - [touch, /root/deployed]\n");
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page.getByRole("heading", { name: clone, level: 1 })).toBeVisible();
  const cloneUuid = await virsh(["domuuid", clone]);
  await page.waitForURL((url) => url.pathname === `/vms/local/${cloneUuid}/overview`);

  // Its delete is refused while the clone reads its disk, and the clone is named, a link to its page.
  await navigate(page, "Templates");
  await card.getByRole("button", { name: "Delete…" }).click();
  const remove = page.getByRole("dialog", { name: `Delete template ${template}?` });
  await remove.getByRole("button", { name: "Delete template" }).click();
  const users = remove.getByTestId("template-users");
  await expect(users).toContainText("This is still the base of another disk, so it was not deleted:");
  const cloneLink = users.getByRole("link", { name: `VM ${clone}` });
  await expect(cloneLink).toHaveAttribute("href", `/vms/local/${cloneUuid}`);
  await cloneLink.click();
  await page.waitForURL((url) => url.pathname === `/vms/local/${cloneUuid}/overview`);

  // The clone deleted with its volumes, the template deletes.
  await vmTab(page, "Settings");
  await page.getByRole("button", { name: "Delete VM…" }).click();
  const deleteVm = page.getByRole("dialog", { name: `Delete VM ${clone}?` });
  await deleteVm.getByLabel("VM name").fill(clone);
  await deleteVm.getByLabel("Also delete its disk volumes").check();
  await deleteVm.getByRole("button", { name: "Delete VM" }).click();
  await page.waitForURL((url) => url.pathname === "/vms");
  await navigate(page, "Templates");
  await card.getByRole("button", { name: "Delete…" }).click();
  await remove.getByRole("button", { name: "Delete template" }).click();
  await expect(card).toHaveCount(0);
  expect(await virsh(["vol-list", pool])).not.toContain(`${template}-vda.qcow2`);

  const templateTarget = auditTargets.template("local", template);
  assertAuditedSince(db, mark, [{ action: "templates.create", target: auditTargets.inVm(auditTargets.vm("local", vm.name), `template "${template}"`) }], {
    about: auditTargets.vm("local", vm.name),
  });
  assertAuditedSince(
    db,
    mark,
    [
      { action: "templates.deploy", target: auditTargets.vm("local", clone) },
      { action: "vms.delete", target: auditTargets.vm("local", clone) },
    ],
    { about: auditTargets.vm("local", clone) },
  );
  assertAuditedSince(
    db,
    mark,
    [
      { action: "templates.delete", target: templateTarget, result: "error" },
      { action: "templates.delete", target: templateTarget },
    ],
    { about: templateTarget },
  );
});
