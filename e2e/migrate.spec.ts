import { randomBytes } from "node:crypto";
import { writeFile, rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { startSecondHost, type SecondHost } from "./fixtures/second-host";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { testGuestImageDir } from "./fixtures/paths";
import { virsh } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, unique } from "./support/session";
import { addOverSsh, removeIfPresent, trpc, type HostRow } from "./support/hosts";

// @alone (scripts/test.sh runs these by themselves): starting and stopping the second host adds and removes a network
// interface and address on this machine, and Chromium then aborts the requests in flight of every page open at that
// moment with net::ERR_NETWORK_CHANGED — a login spec beside this one lost its page's scripts and never signed in.
//
// The VM page's Migrate dialog (issue 14) against a second libvirtd on this machine, added over ssh:
// the destination by name, the pre-flight's checks, a refusal while the destination already has a
// VM of that name, and a migration that starts as a task and takes the page along to the new host.
// The VMs are idle domains booting a kernel directly (no disk): shut off, they move offline, which
// needs no guest to boot and no storage on the destination.

let host: SecondHost | undefined;
let hostB: HostRow | undefined;
let vm: IdleDomain | undefined;

const directKernel = { kernel: join(testGuestImageDir(), "vmlinuz"), initrd: join(testGuestImageDir(), "initrd.img") };

test.beforeAll(async ({ browser }, testInfo) => {
  testInfo.setTimeout(120_000);
  host = await startSecondHost();
  const page = await browser.newPage();
  try {
    await signIn(page, ADMIN.username, ADMIN.password);
    hostB = await addOverSsh(page.request, host, unique(testInfo, "migrate-b"));
  } finally {
    await page.close();
  }
});

test.afterAll(async ({ browser }, testInfo) => {
  const page = await browser.newPage();
  try {
    await signIn(page, ADMIN.username, ADMIN.password);
    await removeIfPresent(page.request, unique(testInfo, "migrate-b"));
  } finally {
    await page.close();
    await host?.stop();
  }
});

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

/** Defines on the second host a VM of `name` (another UUID): the clash the pre-flight must see. */
async function defineClash(name: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kvmm-clash-"));
  try {
    const xml = (await virsh(["dumpxml", name])).replace(/<uuid>[^<]*<\/uuid>/, "");
    await writeFile(join(dir, "domain.xml"), xml);
    await virsh(["define", join(dir, "domain.xml")], { uri: host!.uri });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openMigrateDialog(page: Page, name: string) {
  await page.getByRole("button", { name: "Migrate…" }).click();
  const dialog = page.getByRole("dialog", { name: `Migrate VM ${name}` });
  await expect(dialog.getByLabel("Destination host")).toBeVisible();
  return dialog;
}

test(
  "the dialog lists the second host by name, shows each pre-flight check, and refuses while the destination has a VM of the same name",
  { tag: "@alone" },
  async ({ page }, testInfo) => {
    vm = await defineIdleDomain(`kvmm-test-migclash-${testInfo.project.name}-${randomBytes(3).toString("hex")}`, { directKernel });
    await defineClash(vm.name);
    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}/overview`);
    const dialog = await openMigrateDialog(page, vm.name);
    await expect(dialog.getByLabel("Destination host").locator("option", { hasText: hostB!.name })).toHaveCount(1);
    await expect(dialog.getByLabel("Destination host")).toHaveValue(hostB!.id);

    const checks = dialog.getByRole("list", { name: "Pre-flight checks" });
    for (const id of ["destination", "state", "name", "cpu", "memory", "storage", "network"]) await expect(checks.getByTestId(`preflight-${id}`)).toBeVisible();
    const nameCheck = checks.getByTestId("preflight-name");
    await expect(nameCheck).toHaveAttribute("data-status", "error");
    await expect(nameCheck).toContainText(vm.name);
    await expect(dialog.getByText("The migration cannot start until the errors above are resolved.")).toBeVisible();
    await expect(dialog.getByRole("button", { name: `Migrate to ${hostB!.name}` })).toBeDisabled();
    if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
    await expectNoHorizontalScroll(page);

    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toHaveCount(0);
    expect(await virsh(["domstate", vm.name])).toBe("shut off");
    await virsh(["undefine", vm.name], { uri: host!.uri });
  },
);

test(
  "with the checks passing, Migrate starts a migration task and the page follows the VM to the second host",
  { tag: "@alone" },
  async ({ page }, testInfo) => {
    vm = await defineIdleDomain(`kvmm-test-migrate-${testInfo.project.name}-${randomBytes(3).toString("hex")}`, { directKernel });
    const { name, uuid } = vm;
    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${uuid}/overview`);
    const dialog = await openMigrateDialog(page, name);
    const checks = dialog.getByRole("list", { name: "Pre-flight checks" });
    await expect(checks.getByTestId("preflight-name")).toHaveAttribute("data-status", "ok");
    // A changed option asks the pre-flight again; the answer is the same for a shut-off VM.
    await dialog.getByLabel(/^Auto-converge/).check();
    await expect(checks.getByTestId("preflight-name")).toHaveAttribute("data-status", "ok");
    await expect(checks.locator('[data-status="error"]')).toHaveCount(0);
    await expect(dialog.getByText("The VM is shut off: its definition moves (and its disks, if copied).")).toBeVisible();
    if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
    await expectNoHorizontalScroll(page);

    await dialog.getByRole("button", { name: `Migrate to ${hostB!.name}` }).click();
    await expect(page.getByRole("status").filter({ hasText: `Migration of ${name} to ${hostB!.name} started.` })).toBeVisible();
    // The task's own record says how it ended (its error, if it failed), before the page is asked to follow.
    const migration = async () =>
      (
        await trpc<{ kind: string; state: string; error: string | null }[]>(page.request, "tasks.list", { vm: { hostId: "local", uuid }, limit: 10 }, "query")
      ).find((t) => t.kind === "vm.migrate");
    await expect.poll(async () => (await migration())?.state, { timeout: 30_000 }).not.toBe("running");
    expect(await migration()).toMatchObject({ state: "succeeded", error: null });

    await page.waitForURL((url) => url.pathname === `/vms/${hostB!.id}/${uuid}/overview`);
    await expect(page.getByRole("status").filter({ hasText: `VM ${name} moved to host ${hostB!.name}.` })).toBeVisible();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    expect(await virsh(["domstate", name], { uri: host!.uri })).toBe("shut off");
    await expect(virsh(["domstate", name])).rejects.toThrow();
  },
);
