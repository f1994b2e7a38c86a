import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { ensureLibvirtd, virsh } from "./fixtures/test-host";
import { testRunRoot } from "./fixtures/paths";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, signIn, unique } from "./support/session";

/**
 * A volume upload as a task, seen the way a user sees it: started through the API the upload form
 * uses, its first half PUT (the upload then waits for the rest, so its progress holds still at
 * 50 % for the test to read), in the shell's tray live; after the second half and a reload, on
 * /tasks as succeeded with its bytes. And a VM's page: the line with its last task, linking to
 * its tasks. No guest boots: the pool is a directory, the VM an idle domain that stays off.
 */

let pool: { name: string; dir: string } | undefined;
let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
  if (!pool) return;
  await virsh(["pool-destroy", pool.name]).catch(() => undefined);
  await virsh(["pool-undefine", pool.name]).catch(() => undefined);
  await rm(pool.dir, { recursive: true, force: true });
  pool = undefined;
});

/** A tRPC mutation from the signed-in page, as the dashboard's own client sends it. */
async function mutate<T>(page: Page, path: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ({ path, input }) => {
      const res = await fetch(`/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
      const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string } };
      if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      return body.result!.data as T;
    },
    { path, input },
  );
}

/** PUTs `length` bytes of the upload from `offset`, from the page (same origin, signed in). */
async function putBytes(page: Page, transferId: string, offset: number, length: number): Promise<void> {
  const status = await page.evaluate(
    async ({ transferId, offset, length }) => {
      const res = await fetch(`/api/storage/uploads/${transferId}?offset=${offset}`, { method: "PUT", body: new Uint8Array(length).fill(7) });
      return res.status;
    },
    { transferId, offset, length },
  );
  expect(status).toBeLessThan(300);
}

/**
 * The tray's count and its list, which must agree. Other tests run beside this one as the same
 * admin, so their tasks may be in the tray too: the count is checked against the list, not as "1".
 */
async function trayCountMinusListed(tray: Locator): Promise<number> {
  const badge = tray.getByTestId("task-tray-count");
  const count = (await badge.count()) === 0 ? 0 : Number(await badge.textContent());
  return count - (await tray.getByTestId("task-tray-item").count());
}

test("an upload shows in the tray with its progress while it waits, and on /tasks after a reload as succeeded with its bytes", async ({ page }, testInfo) => {
  await ensureLibvirtd();
  const name = unique(testInfo, `kvmm-test-tasks-${randomBytes(2).toString("hex")}`);
  pool = { name, dir: join(testRunRoot(), name) };
  await virsh(["pool-define-as", name, "dir", "--target", pool.dir]);
  await virsh(["pool-build", name]);
  await virsh(["pool-start", name]);

  await signIn(page, ADMIN.username, ADMIN.password);
  const size = 2 * 1024 * 1024;
  const started = await mutate<{ id: string; taskId: string }>(page, "storage.startUpload", {
    hostId: "local",
    pool: name,
    name: "tray.iso",
    sizeBytes: size,
    fileName: "tray.iso",
  });
  await putBytes(page, started.id, 0, size / 2);

  const tray = page.getByTestId("task-tray");
  await expect(tray.locator(`[data-task-id="${started.taskId}"]`)).toHaveCount(1);
  await expect.poll(() => trayCountMinusListed(tray), { message: "the count is the number of running tasks listed" }).toBe(0);
  await tray.locator("summary").click();
  const item = tray.locator(`[data-task-id="${started.taskId}"]`);
  await expect(item).toContainText("Upload");
  await expect(item).toContainText(`${name}/tray.iso`);
  await expect(item.getByTestId("task-progress")).toHaveAttribute("value", "50");
  await expect(item.getByTestId("task-bytes")).toContainText("1.0 MiB of 2.0 MiB");
  // The open tray with a progress bar (the accessibility walk sees it only closed and empty).
  const { violations } = await new AxeBuilder({ page }).include('[data-testid="task-tray"]').withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await putBytes(page, started.id, size / 2, size / 2);
  // Live: the ended task leaves the tray without a reload.
  await expect(item).toHaveCount(0);
  await expect.poll(() => trayCountMinusListed(tray), { message: "the count follows the ended task" }).toBe(0);

  await page.goto("/tasks");
  await page.reload();
  const row = page.locator(`[data-testid="task"][data-task-id="${started.taskId}"]`);
  await expect(row).toHaveAttribute("data-task-state", "succeeded");
  await expect(row.getByTestId("task-state")).toHaveText("Succeeded");
  await expect(row.getByTestId("task-bytes")).toContainText("2.0 MiB of 2.0 MiB");
  await row.getByText("Log", { exact: true }).click();
  await expect(row.getByTestId("task-log")).toContainText("Receiving tray.iso from the browser");
});

// @desktop: which task the VM page shows is the same at any width; the tray at phone width is the test above's.
test("a VM's page shows its last task and links to its tasks on /tasks", { tag: "@desktop" }, async ({ page }, testInfo) => {
  vm = await defineIdleDomain(unique(testInfo, `kvmm-test-tasks-vm-${randomBytes(2).toString("hex")}`));
  await signIn(page, ADMIN.username, ADMIN.password);
  // The idle domain's disk is a file outside every pool: libvirt cannot copy it, so the clone's task fails, saying why.
  const refused = await mutate(page, "vms.clone", { hostId: "local", uuid: vm.uuid, newName: `${vm.name}-copy` }).then(
    () => null,
    (err: Error) => err.message,
  );
  expect(refused).toContain("cannot be copied");
  await page.goto(`/vms/local/${vm.uuid}/overview`);
  const line = page.getByTestId("vm-task-line");
  await expect(line).toContainText("Last task: Clone, Failed");
  await line.getByRole("link", { name: "Tasks of this VM" }).click();
  await expect(page).toHaveURL(/\/tasks\?hostId=local&uuid=/);
  const rows = page.getByTestId("task");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-task-state", "failed");
  await expect(rows.first().getByTestId("task-error")).toContainText("cannot be copied");
});
