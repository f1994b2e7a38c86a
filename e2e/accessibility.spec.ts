import { randomBytes } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, signIn } from "./support/session";

// Every page an admin can open, checked by axe-core for WCAG 2.x A and AA rules in the light and
// the dark theme: no serious or critical violation. The VM's pages are those of an idle domain.

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

async function seriousViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

for (const scheme of ["light", "dark"] as const) {
  test(`every page has no serious or critical accessibility violation in the ${scheme} theme`, async ({ page }, testInfo) => {
    vm = await defineIdleDomain(`kvmm-test-a11y-${scheme}-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
    await page.emulateMedia({ colorScheme: scheme });
    const signInPage = await (async () => {
      await page.goto("/login");
      await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
      return seriousViolations(page);
    })();
    await signIn(page, ADMIN.username, ADMIN.password);
    const vmPage = `/vms/local/${vm.uuid}`;
    const paths = [
      "/",
      "/vms",
      "/vms/new",
      "/storage",
      "/networks",
      "/users",
      "/audit",
      "/settings",
      ...["overview", "console", "guest", "files", "disks", "network", "snapshots", "settings"].map((t) => `${vmPage}/${t}`),
    ];
    const found: Record<string, string[]> = { "/login": signInPage };
    for (const path of paths) {
      await page.goto(path);
      await expect(page.locator("main h1").first()).toBeVisible();
      // Let client components that load data (lists, forms' options) render what they show.
      await page.waitForLoadState("networkidle");
      found[path] = await seriousViolations(page);
    }
    const failing = Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0));
    expect(failing, `pages with violations (${scheme})`).toEqual({});
  });
}
