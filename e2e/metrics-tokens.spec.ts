import { expect, test } from "@playwright/test";
import { ADMIN, signIn, unique } from "./support/session";

// Settings → Prometheus scrape tokens, as an admin uses it: a new token is shown once with a copy
// button and the warning that it will not be shown again, it opens /metrics, and once revoked it
// no longer does.

// @desktop: a token and a scrape are the server's, the same at any width; Settings at phone width is layout.spec's.
test("an admin creates a scrape token, copies it once, scrapes /metrics with it and revokes it", { tag: "@desktop" }, async ({ page, context }, testInfo) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const name = unique(testInfo, "e2e-prometheus");
  await signIn(page, ADMIN.username, ADMIN.password, "/settings");
  const section = page.getByRole("region", { name: "Prometheus scrape tokens" });
  await section.getByLabel("Name of the new token").fill(name);
  await section.getByRole("button", { name: "Create token" }).click();

  const shown = section.getByTestId("one-time-token");
  await expect(shown).toHaveText(/^kvmm_metrics_\S{43}$/);
  await expect(section.getByText("It will not be shown again")).toBeVisible();
  const token = (await shown.textContent())!;
  await section.getByRole("button", { name: "Copy token" }).click();
  await expect(section.getByText("Copied.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

  const scrape = () => page.request.get("/metrics", { headers: { authorization: `Bearer ${token}` } });
  const ok = await scrape();
  expect(ok.status()).toBe(200);
  expect(await ok.text()).toContain("# TYPE kvmm_host_up gauge");

  await section.getByRole("button", { name: "I have saved it" }).click();
  await expect(shown).toHaveCount(0);
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);

  const list = page.getByRole("list", { name: "Scrape tokens" });
  await list.getByRole("button", { name: `Revoke the token ${name}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(
    list
      .getByRole("listitem")
      .filter({ hasText: name })
      .getByText(/^revoked /),
  ).toBeVisible();
  expect((await scrape()).status()).toBe(401);
});
