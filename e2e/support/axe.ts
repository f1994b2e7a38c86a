import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";

/** The rules a theme can change the verdict of: the dark theme changes colours only (app/_components/theme.ts), so its pass runs these. */
const COLOUR_RULES = ["color-contrast", "link-in-text-block"];

async function seriousViolations(page: Page, rules?: string[]) {
  // axe.run in the page itself (legacy mode): the default opens a blank page for every analysis to finish the
  // run in, measured at 2.1 s per analysis of /users against 0.9 s; the pages have no cross-origin frame, which
  // is all legacy mode leaves out.
  const axe = new AxeBuilder({ page }).setLegacyMode(true).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]);
  const { violations } = await (rules ? axe.withRules(rules) : axe).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** The dark theme as the app applies it (app/_components/theme.ts): the class on <html>, which also sets `color-scheme`. */
const setDark = (page: Page, dark: boolean) => page.evaluate((on) => document.documentElement.classList.toggle("dark", on), dark);

/**
 * The page as it is now, checked by axe-core for WCAG 2.x A and AA rules in the light theme, then for
 * the colour rules in the dark theme of the same render: each theme's serious or critical violations.
 */
export async function themeViolations(page: Page): Promise<{ light: string[]; dark: string[] }> {
  await setDark(page, false);
  const light = await seriousViolations(page);
  await setDark(page, true);
  const dark = await seriousViolations(page, COLOUR_RULES);
  return { light, dark };
}
