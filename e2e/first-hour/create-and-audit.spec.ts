import { writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { virsh } from "../fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, navigate, signIn, unique } from "../support/session";

/**
 * Issue 16, the first hour of a new user — the create form, readable errors, start failures and
 * the audit search — walked at desktop and phone size. VMs are kvmm-test-first-hour-*-<project>,
 * removed after each test; nothing is booted (a start that fails starts nothing).
 */
const made: string[] = [];

// Playwright hands fixtures in the first argument; this hook needs none of them.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  for (const name of made.splice(0)) {
    await virsh(["destroy", name]).catch(() => undefined);
    await virsh(["undefine", name]).catch(() => undefined);
  }
});

async function openCreateForm(page: Page) {
  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "VMs");
  await page.getByRole("link", { name: "New VM" }).click();
  await expect(page.getByRole("heading", { name: "New virtual machine" })).toBeVisible();
}

/** The text of a field's message, found the way assistive technology finds it: through the control's aria-describedby. */
async function messageOf(page: Page, controlId: string): Promise<string> {
  const control = page.locator(`#${controlId}`);
  await expect(control).toHaveAttribute("aria-invalid", "true");
  const ids = (await control.getAttribute("aria-describedby")) ?? "";
  const errorId = ids.split(" ").find((id) => id.endsWith("-error"));
  expect(errorId, `#${controlId} is not described by an error`).toBeTruthy();
  return (await page.locator(`#${errorId}`).textContent()) ?? "";
}

test("the create form offers KVM or emulation and the CPUs the host can provide, and the choices land in the VM", async ({ page }, testInfo) => {
  const name = unique(testInfo, "kvmm-test-first-hour-cpu");
  made.push(name);
  await openCreateForm(page);
  const accelerator = page.getByLabel("Accelerator");
  await expect(accelerator.locator("option", { hasText: "Emulation (TCG)" })).toHaveCount(1);
  if ((await virsh(["capabilities"])).includes("<domain type='kvm'/>")) {
    await expect(accelerator.locator("option", { hasText: "KVM" })).toHaveCount(1);
  }
  await accelerator.selectOption({ label: "Emulation (TCG): slower, runs on any host" });
  const cpu = page.getByLabel("CPU", { exact: true });
  // TCG cannot pass the host's CPU through, so the form does not offer it.
  await expect(cpu.locator("option", { hasText: "passed through" })).toHaveCount(0);
  await cpu.selectOption({ label: "A named CPU model" });
  const model = page.getByLabel("CPU model");
  await expect(model.locator("option", { hasText: /^qemu64$/ })).toHaveCount(1);
  const chosen = (await model.locator("option").allTextContents()).find((m) => m !== "qemu64") ?? "qemu64";
  await model.selectOption(chosen);
  await expectNoHorizontalScroll(page);

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("vCPUs").fill("1");
  // No multiple of 64 needed, and a unit may be typed.
  await page.getByLabel("Memory").fill("1000 MiB");
  await page.getByLabel("New disk size").fill("0");
  await page.getByLabel("Network").selectOption({ label: "None" });
  await page.getByLabel("Start now").uncheck();
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const xml = await virsh(["dumpxml", "--inactive", name]);
  expect(xml).toMatch(/<domain type='qemu'/);
  expect(xml).toMatch(new RegExp(`<model fallback='forbid'>${chosen}</model>`));
  expect(xml).toMatch(/<memory unit='KiB'>1024000<\/memory>/);
});

test("bad input is worded next to its field, never in zod's words, and the first one is scrolled into view", async ({ page }, testInfo) => {
  await openCreateForm(page);
  await page.getByLabel("New disk size").fill("0");
  // The form's own check: a size that is not one.
  await page.getByLabel("Memory").fill("lots");
  await page.getByRole("button", { name: "Create VM" }).click();
  expect(await messageOf(page, "memory")).toBe("Memory must be a number with an optional unit, such as 2 GiB or 512 MiB.");

  // The server's check, worded by field: a bad name, no vCPUs, too much memory.
  await page.getByLabel("Name", { exact: true }).fill("not a name!");
  await page.getByLabel("vCPUs").fill("0");
  await page.getByLabel("Memory").fill("2 TiB");
  await page.getByRole("button", { name: "Create VM" }).click();
  expect(await messageOf(page, "name")).toBe("Name must be 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.");
  expect(await messageOf(page, "vcpus")).toBe("vCPUs must be at least 1.");
  expect(await messageOf(page, "memory")).toBe("Memory must be at most 1 TiB.");
  await expect(page.locator("#name")).toBeInViewport();
  await expect(page.locator("#name")).toBeFocused();
  const text = (await page.locator("main").textContent()) ?? "";
  expect(text).not.toMatch(/9007199254740991|Invalid input|expected number|✖/);

  // What only the host can tell: more vCPUs than it has, next to vCPUs.
  const cpus = Number((await virsh(["nodeinfo"])).match(/^CPU\(s\):\s+(\d+)/m)?.[1]);
  test.skip(!(cpus < 64), "this host has 64 CPUs or more");
  await page.getByLabel("Name", { exact: true }).fill(unique(testInfo, "kvmm-test-first-hour-big"));
  await page.getByLabel("vCPUs").fill("64");
  await page.getByLabel("Memory").fill("1 GiB");
  await page.getByRole("button", { name: "Create VM" }).click();
  expect(await messageOf(page, "vcpus")).toContain(`64 vCPUs is more than this host has; it has ${cpus} CPUs`);
});

test("the add-network and add-user forms word their refusals next to the field", async ({ page }, testInfo) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Networks");
  await page.getByRole("button", { name: "Add network" }).click();
  await page.getByLabel("Network name").fill(unique(testInfo, "kvmm-e2e-first-hour-net"));
  await page.getByLabel("Host address").fill("10.213.999.1");
  await page.getByRole("button", { name: "Create network" }).click();
  expect(await messageOf(page, "add-net-address")).toBe("Host address: an IPv4 address such as 10.213.1.1.");

  await navigate(page, "Users");
  await page.getByLabel("New username").fill(unique(testInfo, "first-hour-short"));
  await page.getByLabel("Initial password").fill("short");
  await page.getByRole("button", { name: "Create user" }).click();
  expect(await messageOf(page, "new-password")).toMatch(/^Initial password must be at least \d+ characters\.$/);
});

test("a VM that cannot start says why in words, with libvirt's text folded underneath, on its page and in the list", async ({ page }, testInfo) => {
  // What the old form made when KVMM_DOMAIN_TYPE said emulation: the host's CPU passed through, which TCG cannot do.
  const name = unique(testInfo, "kvmm-test-first-hour-nostart");
  made.push(name);
  const file = path.join(tmpdir(), `${name}.xml`);
  await writeFile(
    file,
    `<domain type="qemu"><name>${name}</name><memory unit="MiB">64</memory><vcpu>1</vcpu>` +
      `<os><type arch="x86_64" machine="q35">hvm</type></os><cpu mode="host-passthrough"/><devices><memballoon model="none"/></devices></domain>`,
  );
  await virsh(["define", file]);
  await rm(file, { force: true });
  const uuid = await virsh(["domuuid", name]);

  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${uuid}`);
  await page.getByRole("button", { name: "Start", exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: "cannot pass the host's own CPU through" });
  await expect(alert).toBeVisible();
  const raw = alert.getByText(/is not supported by hypervisor/);
  await expect(raw).toBeHidden();
  await alert.getByText("What libvirt and QEMU said").click();
  await expect(raw).toBeVisible();

  // The notice stays until dismissed; the list's Start must bring its own.
  await alert.getByRole("button", { name: "Dismiss" }).click();
  await expect(alert).toHaveCount(0);
  await navigate(page, "VMs");
  const card = page.getByRole("row", { name: `VM ${name}` });
  await card.getByRole("button", { name: "Start", exact: true }).click();
  const inList = page
    .getByRole("alert")
    .filter({ hasText: `Start ${name}: ` })
    .filter({ hasText: "cannot pass the host's own CPU through" });
  await expect(inList).toBeVisible();
  await expect(inList.getByText(/is not supported by hypervisor/)).toBeHidden();
  expect(await virsh(["domstate", name])).toBe("shut off");
});

test("the audit log is searched by user, action and time, in the URL; a failed sign-in names the account tried, done by nobody", async ({
  page,
  browser,
}, testInfo) => {
  const username = unique(testInfo, "first-hour-audit");
  const password = "first-hour-password-1";
  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Initial password").fill(password);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("listitem", { name: `User ${username}` })).toBeVisible();

  // Someone not signed in tries the new account with a wrong password, then its owner signs in
  // (which clears the failure from the sign-in limit for the next tests).
  const other = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const stranger = await other.newPage();
    await stranger.goto("/login");
    await stranger.getByLabel("Username").fill(username);
    await stranger.getByLabel("Password").fill("a-wrong-guess-123");
    await stranger.getByRole("button", { name: "Sign in" }).click();
    await expect(stranger.getByRole("alert").filter({ hasText: "Invalid username or password" })).toBeVisible();
    await signIn(stranger, username, password);
  } finally {
    await other.close();
  }

  await navigate(page, "Audit log");
  // On a phone the filters are folded behind one button.
  const toggle = page.getByRole("button", { name: /^Filters/ });
  if (await toggle.isVisible()) await toggle.click();
  const from = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
  await page.getByLabel("User", { exact: true }).fill(username);
  await page.getByLabel("Action").selectOption({ label: "Sign in" });
  await page.getByLabel("From (UTC)").fill(from);
  await page.getByRole("button", { name: "Filter", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`username=${username}.*action=auth\\.login.*since=`));
  const entries = page.getByRole("list", { name: "Audit entries, newest first" }).getByRole("listitem");
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(1)).toContainText("denied");
  await expect(entries.nth(1)).toContainText(`user "${username}"`);
  await expect(entries.nth(1)).toContainText("by someone not signed in");
  await expect(entries.nth(1)).toContainText("wrong password");
  await expect(entries.nth(0)).toContainText(`by ${username}`);
  await expectNoHorizontalScroll(page);

  // The same search as a link, with the range closed before the sign-ins: nothing.
  await page.goto(`/audit?username=${username}&action=auth.login&until=2000-01-01`);
  await expect(page.getByText("No entries match.")).toBeVisible();
  // A bad filter is worded next to its field, and lists nothing.
  await page.goto(`/audit?username=${username}&since=yesterday&action=vms.power`);
  expect(await messageOf(page, "audit-since")).toBe("From must be a date, or a date and time, such as 2026-11-27 14:05.");
  await expect(page.getByText("Fix the filters above to see entries.")).toBeVisible();
  // ...and the filters are open, on a phone too, to show it.
  await expect(page.getByRole("form", { name: "Filter the audit log" })).toBeVisible();
});
