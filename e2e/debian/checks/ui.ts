import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright";
import { CHROMIUM_LAUNCH } from "../../support/chromium";
import type { GuestHub } from "@/server/guest";
import type { GuestShell } from "../../fixtures/debian-guest";
import { libvirtUri } from "../../fixtures/test-host";
import { waitFor } from "../../fixtures/wait";
import { startDashboard, type DashboardServer } from "../../support/dashboard-server";

/**
 * Issue 15 item 6's acceptance through the UI, in the real Debian guest: a real dashboard (the
 * production build, its own database and guest hub) on the same libvirtd, driven by Debian's
 * chromium through the playwright library as playwright.config does.
 * - A unit stopped with the Services section's Stop (and its confirmation) is inactive for
 *   systemctl inside the guest, and Start brings it back; asked over qemu-guest-agent, never our agent.
 * - The Packages list, asked, has our package.
 * - A password set with the Reset password dialog logs the user in on the VM's serial console,
 *   typed into the product's own serial console (xterm.js over libvirt's console stream) in the
 *   browser: a wrong password is refused first, the new one reaches a shell that runs a command.
 * Two guest hubs on one libvirtd take each other's agent channels, so the test process's hub is
 * stopped while the dashboard runs and started again after it (`hubs.start` gives the test its new
 * hub), connected before this returns, failed or not.
 */
export interface UiCheck {
  hostId: string;
  uuid: string;
  /** The VM's name (the dialog's title names it). */
  vmName: string;
  /** An account of the guest that may log in on the console (the cloud-init user). */
  user: string;
  shell: GuestShell;
  hubs: { stop: () => Promise<void>; start: () => Promise<GuestHub> };
  figures: Record<string, number>;
}

const UNIT = "kvmm-ui-sleeper.service";
const UNIT_FILE = `[Unit]
Description=KVM Manager UI test: sleeps until stopped
[Service]
ExecStart=/bin/sleep infinity
`;
const AGENT_CONFIG = "/etc/kvmmanager-agent/config.json";
const PASSWORD = "set in the browser 42";
async function exec(shell: GuestShell, path: string, args: string[]): Promise<string> {
  const result = await shell.exec(path, args, 60_000);
  assert.equal(result.exitCode, 0, `${path} ${args.join(" ")}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** What systemctl in the guest says of the unit, over qemu-guest-agent (is-active exits 3 for inactive: the word is what counts). */
async function isActive(shell: GuestShell): Promise<string> {
  return (await shell.exec("/usr/bin/systemctl", ["is-active", UNIT])).stdout.trim();
}

/** The serial terminal's screen as text: xterm.js's DOM rows (beside them is its style sheet), whose spaces are no-break spaces. */
async function screen(terminal: Locator): Promise<string> {
  return ((await terminal.locator(".xterm-rows").textContent()) ?? "").replace(/\u00a0/g, " ");
}

/** Waits until the terminal's screen matches `pattern`; the screen is in the failure message. */
async function waitForScreen(terminal: Locator, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  let last = "";
  return waitFor(
    async () => {
      last = await screen(terminal);
      return pattern.test(last) ? last : null;
    },
    { timeoutMs, intervalMs: 200, what, describe: () => `the serial console showed:\n${last.slice(-2000)}` },
  );
}

/** Every file of the dashboard's data directory (database, its WAL, TLS) holds no copy of `secret`. */
async function assertNotStored(dir: string, secret: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    assert.ok(!(await readFile(path)).includes(Buffer.from(secret)), `${path} holds the password`);
  }
}

async function signIn(page: Page, server: DashboardServer): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(server.adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: 60_000 });
}

async function stopAndStartThroughServices(page: Page, c: UiCheck): Promise<void> {
  const services = page.getByRole("region", { name: "Services" });
  await services.getByLabel("Filter by name or description").fill("kvmm-ui");
  const row = services.locator(`li[data-service="${UNIT}"]`);
  await row.getByText("active (running)").waitFor({ timeout: 120_000 });

  let started = Date.now();
  await row
    .getByRole("group", { name: `Actions for ${UNIT}` })
    .getByRole("button", { name: "Stop", exact: true })
    .click();
  const dialog = page.getByRole("dialog", { name: `Stop ${UNIT}?` });
  await dialog.getByText("the consoles of this page still work", { exact: false }).waitFor();
  await dialog.getByRole("button", { name: "Stop", exact: true }).click();
  await services.getByText(`${UNIT}: stopped.`, { exact: false }).waitFor({ timeout: 90_000 });
  c.figures.uiServiceStopMs = Date.now() - started;
  assert.equal(await isActive(c.shell), "inactive", "systemctl in the guest reports the unit the UI stopped as stopped");
  await row.getByText("inactive (dead)").waitFor();

  started = Date.now();
  await row
    .getByRole("group", { name: `Actions for ${UNIT}` })
    .getByRole("button", { name: "Start", exact: true })
    .click();
  await services.getByText(`${UNIT}: started.`, { exact: false }).waitFor({ timeout: 90_000 });
  c.figures.uiServiceStartMs = Date.now() - started;
  assert.equal(await isActive(c.shell), "active", "systemctl in the guest reports the unit the UI started as running");
}

async function resetPasswordThroughDialog(page: Page, c: UiCheck): Promise<void> {
  const accounts = page.getByRole("region", { name: "Accounts" });
  await accounts.getByRole("button", { name: "Reset password…" }).click();
  const dialog = page.getByRole("dialog", { name: `Reset a password in ${c.vmName}` });
  await dialog.getByText("It will be set by the KVM Manager agent", { exact: false }).waitFor({ timeout: 30_000 });
  await dialog.getByLabel("Account", { exact: true }).fill(c.user);
  await dialog.getByLabel("New password", { exact: true }).fill(PASSWORD);
  await dialog.getByLabel("New password again").fill(PASSWORD);
  const started = Date.now();
  await dialog.getByRole("button", { name: "Set password" }).click();
  await accounts.getByText(`The password of "${c.user}" was set by the KVM Manager agent.`).waitFor({ timeout: 60_000 });
  c.figures.uiSetPasswordMs = Date.now() - started;
  assert.equal(await dialog.count(), 0, "the dialog is gone with the password");
  assert.ok(!((await page.content()) ?? "").includes(PASSWORD), "the page holds no copy of the password");
}

/** Logs in on ttyS0 through the product's serial console: a wrong password is refused, the new one gives a shell. */
async function serialLogin(page: Page, c: UiCheck): Promise<void> {
  await page.goto(page.url().replace(/\/guest$/, "/console"));
  await page.getByText("Connected to ttyS0", { exact: false }).waitFor({ timeout: 30_000 });
  const terminal = page.getByTestId("serial-terminal");
  await terminal.click();
  const started = Date.now();
  // Each wait is for what the screen ends with next, which it never ends with before: a prompt already
  // on screen is never mistaken for the next one.
  const login = async (password: string) => {
    await page.keyboard.type(c.user);
    await page.keyboard.press("Enter");
    await waitForScreen(terminal, /Password:\s*$/, "login's password prompt");
    await page.keyboard.type(password);
    await page.keyboard.press("Enter");
  };
  await page.keyboard.press("Enter");
  await waitForScreen(terminal, /login:\s*$/, "getty's login prompt");
  await login("not the password");
  // login refuses, waits (pam_faildelay) and asks again by itself.
  await waitForScreen(terminal, /Login incorrect[\s\S]*login:\s*$/, "login to refuse a wrong password and ask again");
  await login(PASSWORD);
  await waitForScreen(terminal, /[$#]\s*$/, "a shell prompt after the login", 90_000);
  // The shell's answer, not the typed line: the command holds $((6*7)), its output 42.
  await page.keyboard.type("echo KVMM-UI-$((6*7)) $(id -un)");
  await page.keyboard.press("Enter");
  await waitForScreen(terminal, new RegExp(`KVMM-UI-42 ${c.user}`), "the shell's answer to a command");
  c.figures.serialLoginMs = Date.now() - started;
  await page.keyboard.type("exit");
  await page.keyboard.press("Enter");
}

export async function checkGuestAdminUi(c: UiCheck): Promise<void> {
  // The guest's admin switches service_action and set_user_password on (both off by default); a unit to stop.
  await exec(c.shell, "/usr/bin/python3", [
    "-c",
    "import json, sys; p = sys.argv[1]; c = json.load(open(p)); c['service_action_enabled'] = True; c['set_user_password_enabled'] = True; json.dump(c, open(p, 'w'), indent=2)",
    AGENT_CONFIG,
  ]);
  await exec(c.shell, "/bin/sh", [
    "-c",
    'printf "%s" "$1" > /etc/systemd/system/kvmm-ui-sleeper.service && systemctl daemon-reload && systemctl start kvmm-ui-sleeper.service && systemctl restart kvmmanager-agent.service',
    "sh",
    UNIT_FILE,
  ]);
  assert.equal(await isActive(c.shell), "active");

  await c.hubs.stop();
  try {
    await throughDashboard(c);
  } finally {
    // The checks after this one need the test's hub, whatever happened here.
    const hub = await c.hubs.start();
    await waitFor(() => hub.status(c.hostId, c.uuid)?.agent.state === "connected", {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "our agent to connect to the test's guest hub again",
    });
  }
}

async function throughDashboard(c: UiCheck): Promise<void> {
  let server: DashboardServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startDashboard({ KVMM_LIBVIRT_URI: libvirtUri() });
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: "en-US" });
    const page = await context.newPage();
    await signIn(page, server);
    await page.goto(`${server.url}/vms/${c.hostId}/${c.uuid}/guest`);
    await stopAndStartThroughServices(page, c);
    const packages = page.getByRole("region", { name: "Packages" });
    await packages.getByRole("button", { name: "List installed packages" }).click();
    await packages.getByLabel("Filter by name").fill("kvmmanager-agent");
    await packages.getByRole("cell", { name: "kvmmanager-agent", exact: true }).waitFor({ timeout: 60_000 });
    await resetPasswordThroughDialog(page, c);
    await serialLogin(page, c);
    await context.close();
    assert.ok(!server.output().includes(PASSWORD), "the dashboard's log holds no copy of the password");
    await server.shutdown();
    await assertNotStored(server.dataDir, PASSWORD);
  } finally {
    await browser?.close();
    await server?.stop();
  }
}
