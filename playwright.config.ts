import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_LAUNCH } from "./e2e/support/chromium";

// Set once in the main process; workers inherit the environment, so every test signs in with the same admin.
process.env.KVMM_E2E_PORT ??= String(3100 + (process.pid % 800));
process.env.KVMM_E2E_ADMIN_PASSWORD ??= randomBytes(12).toString("base64url");
process.env.KVMM_E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), "kvmm-e2e-"));
const port = Number(process.env.KVMM_E2E_PORT);

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  // Two files at a time (a file's tests run in order, in one worker): on 2 cores one worker left the
  // CPU 30–50 % idle while a TCG guest booted or a page waited for an event. Tests therefore share the
  // server, its database and the host with one other test: names carry the project (unique()), and
  // nothing compares a host-wide figure (alert badge, task tray) with a fixed number.
  fullyParallel: false,
  workers: Number(process.env.KVMM_E2E_WORKERS ?? 2),
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // English pages unless a test asks for another language (e2e/i18n.spec.ts): the dashboard follows the browser's.
  // The dashboard serves HTTPS with the self-signed certificate it made in its data directory, as a user's does.
  // The trace keeps each action's DOM snapshot but not the screencast: its frames cost every test the browser's
  // encoding of every frame, and on 2 cores the suite paid for it (users + login specs, desktop, one worker,
  // two runs each: 104–106 s with it, 81–87 s without, 15–20 % less CPU).
  use: {
    baseURL: `https://127.0.0.1:${port}`,
    locale: "en-US",
    ignoreHTTPSErrors: true,
    trace: { mode: "retain-on-failure", screenshots: false },
    launchOptions: CHROMIUM_LAUNCH,
  },
  // Every test runs in both viewports unless tagged. @desktop: behaviour that a viewport cannot change, proven on
  // a TCG guest that takes 15–40 s to boot (a console's reboot, a hot-unplug, an agent's upload); the phone project
  // checks the same page's layout in a test tagged @phone, on an idle domain that needs no boot. Each boot
  // the phone repeated cost the run about as long as the test itself, on 2 cores shared with the other worker.
  projects: [
    { name: "desktop", grepInvert: /@phone\b/, use: { ...devices["Desktop Chrome"], launchOptions: CHROMIUM_LAUNCH } },
    { name: "phone", grepInvert: /@desktop\b/, use: { ...devices["Pixel 7"], launchOptions: CHROMIUM_LAUNCH } },
  ],
  webServer: {
    command: "node_modules/.bin/tsx server/main.ts",
    url: `https://127.0.0.1:${port}/login`,
    ignoreHTTPSErrors: true,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      UV_THREADPOOL_SIZE: "8",
      PORT: String(port),
      HOST: "127.0.0.1",
      KVMM_DATA_DIR: process.env.KVMM_E2E_DATA_DIR,
      KVMM_ADMIN_USER: "admin",
      KVMM_ADMIN_PASSWORD: process.env.KVMM_E2E_ADMIN_PASSWORD,
    },
  },
});
