import { randomBytes } from "node:crypto";
import { expect, test, type Request } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, vmTab } from "./support/session";

let vm: IdleDomain | undefined;

test.afterEach(async () => {
  await vm?.remove();
  vm = undefined;
});

const HOUR = 3_600_000;

/** The [from, to] windows a batched tRPC GET of metrics.history asks for. */
function historyWindows(request: Request): { from: number; to: number }[] {
  const url = decodeURIComponent(request.url());
  return [...url.matchAll(/"from":(\d+),"to":(\d+)/g)].map((m) => ({ from: Number(m[1]), to: Number(m[2]) }));
}

test("a running VM's Metrics tab draws its CPU as samples arrive, a 6 h range is in the address and the request, and the page fits 360 px", async ({
  page,
}, testInfo) => {
  vm = await defineIdleDomain(`kvmm-test-metrics-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await virsh(["start", vm.name]);
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}/overview`);
  await vmTab(page, "Metrics");

  const cpu = page.getByTestId("chart-cpu");
  await expect(cpu.locator("figcaption")).toHaveText("CPU, last hour");
  // The first sample of a VM has no CPU rate; from the second tick on, the live appends carry one.
  await expect(cpu.getByTestId("chart-cpu-value-0")).toHaveText(/^\d+(\.\d)?%$/, { timeout: 30_000 });
  // Loaded a tick or two after the start (another test may be slowing the machine), history may hold one point: the next comes live.
  await expect
    .poll(async () => Number(await cpu.getAttribute("data-points")), { message: "points drawn on the CPU chart", timeout: 30_000 })
    .toBeGreaterThan(1);
  await expect(cpu.locator("canvas")).toHaveCount(1);
  await expect(cpu.locator(".sr-only")).toContainText("vCPUs in use: latest");

  // The dark theme makes the plot again with its own colours.
  const canvas = await cpu.locator("canvas").elementHandle();
  await page.evaluate(() => document.documentElement.classList.add("dark"));
  await expect.poll(() => canvas!.evaluate((c) => c.isConnected), { message: "the light theme's canvas is replaced" }).toBe(false);
  await expect(cpu.locator("canvas")).toHaveCount(1);
  await page.evaluate(() => document.documentElement.classList.remove("dark"));

  await page.setViewportSize({ width: 360, height: 740 });
  await expect(cpu.locator("canvas")).toHaveCount(1);
  await expectNoHorizontalScroll(page);

  const request = page.waitForRequest((r) => r.url().includes("metrics.history"));
  await page.getByRole("navigation", { name: "Time range" }).getByRole("link", { name: "6 h" }).click();
  await page.waitForURL((url) => url.searchParams.get("range") === "6h");
  const windows = historyWindows(await request);
  expect(windows.length, "the history request names its window").toBeGreaterThan(0);
  for (const w of windows) expect(w.to - w.from).toBe(6 * HOUR);
  await expect(page.getByRole("link", { name: "6 h" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("chart-cpu").locator("figcaption")).toHaveText("CPU, last 6 hours");
  await expectNoHorizontalScroll(page);
});

// @desktop: the retention is the server's setting, the same at any width; Settings at phone width is layout.spec's.
test(
  "an admin changes the metrics retention in Settings, sees it after a reload, and a value out of bounds is refused beside its field",
  { tag: "@desktop" },
  async ({ page }) => {
    await signIn(page, ADMIN.username, ADMIN.password, "/settings");
    const section = page.getByRole("region", { name: "Metrics history" });
    const raw = section.getByLabel("Every sample (hours)");
    const minute = section.getByLabel("1-minute averages (days)");
    const hour = section.getByLabel("1-hour averages (days)");
    const save = async (r: string, m: string, h: string) => {
      await raw.fill(r);
      await minute.fill(m);
      await hour.fill(h);
      await section.getByRole("button", { name: "Save retention" }).click();
    };
    try {
      await save("48", "10", "120");
      await expect(page.getByText("The metrics history retention was saved.")).toBeVisible();
      await page.reload();
      await expect(section.getByTestId("retention-current")).toHaveText(
        "Kept now: every sample for 48 h, 1-minute averages for 10 days, 1-hour averages for 120 days.",
      );
      await expect(raw).toHaveValue("48");
      await expect(hour).toHaveValue("120");

      await save("1", "10", "120");
      await expect(page.locator("[data-field-error]", { has: page.locator("#retention-raw") })).toContainText("Every sample (hours) must be at least 2.");
      await expect(raw).toHaveAttribute("aria-invalid", "true");
      await expect(raw).toHaveAttribute("aria-describedby", /retention-raw-error/);
      await page.reload();
      await expect(section.getByTestId("retention-current")).toContainText("every sample for 48 h");
    } finally {
      // The defaults again, for the other tests on this server.
      await page.request.post("/api/trpc/metrics.setRetention", { data: { rawHours: 24, minuteDays: 7, hourDays: 90 } });
    }
  },
);

// @desktop: the history and its ticks are the same at any width; a chart at 360 px is the Metrics tab test's above.
test(
  "the dashboard charts the local host's CPU and memory over the last hour from its history and the ticks that follow",
  { tag: "@desktop" },
  async ({ page }) => {
    await signIn(page, ADMIN.username, ADMIN.password);
    const cpu = page.getByTestId("host-chart-cpu-local");
    await expect(cpu.locator("figcaption")).toHaveText("Host CPU, last hour");
    await expect(cpu.getByTestId("host-chart-cpu-local-value-0")).toHaveText(/^\d+(\.\d)?%$/, { timeout: 30_000 });
    const memory = page.getByTestId("host-chart-memory-local");
    await expect(memory.getByTestId("host-chart-memory-local-value-1")).toHaveText(/\d.* (MiB|GiB|TiB)$/);
    const before = Number(await cpu.getAttribute("data-points"));
    await expect
      .poll(async () => Number(await cpu.getAttribute("data-points")), { timeout: 20_000, message: "a new tick adds a point" })
      .toBeGreaterThan(before);
    await expectNoHorizontalScroll(page);
  },
);
