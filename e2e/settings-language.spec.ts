import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page, type TestInfo } from "@playwright/test";
import type { Messages } from "@/server/i18n/messages";
import { ADMIN, signIn, unique } from "./support/session";

// The language override in Settings: kept with the account, it beats the browser's language on
// every page, and the automatic choice hands the choice back to the browser. Each test has a user
// of its own, so no other spec's pages change language. The new user's pages are found by the
// catalog's words and by ids, since the sign-in form speaks the browser's language.

type Words = Pick<Messages, "settings" | "networks">;

/** This spec's namespaces of a catalog, read as files: Playwright's loader does not import JSON modules without an import attribute. */
function catalog(locale: "en" | "de"): Words {
  const read = (ns: string) => JSON.parse(readFileSync(new URL(`../server/i18n/messages/${locale}/${ns}.json`, import.meta.url), "utf8"));
  return { settings: read("settings"), networks: read("networks") };
}

const en = catalog("en");
const de = catalog("de");
const PASSWORD = "language-password-1";

/** A new viewer, added by the admin on the Users page in an English browser of its own. */
async function newUser(browser: Browser, testInfo: TestInfo, base: string): Promise<string> {
  const username = unique(testInfo, base);
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: "en-US" });
  try {
    const page = await context.newPage();
    await signIn(page, ADMIN.username, ADMIN.password, "/users");
    await page.getByLabel("New username").fill(username);
    await page.getByLabel("Initial password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("listitem", { name: `User ${username}` })).toBeVisible();
  } finally {
    await context.close();
  }
  return username;
}

/** Signs in by the form's fields, whatever language it is in. */
async function signInAs(page: Page, username: string) {
  await page.goto("/login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(PASSWORD);
  await page.locator('button[type="submit"]').click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Chooses a language (or "" for the browser's) in Settings, written in `words`, and waits for the page to load again in `lang`. */
async function chooseLanguage(page: Page, words: Words, value: "" | "en" | "de", lang: "en" | "de") {
  await page.getByLabel(words.settings.language.label).selectOption(value);
  await page.getByRole("button", { name: words.settings.language.save }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", lang);
}

async function expectPage(page: Page, lang: "en" | "de", heading: string) {
  await expect(page.locator("html")).toHaveAttribute("lang", lang);
  await expect(page.getByRole("heading", { level: 1, name: heading, exact: true })).toBeVisible();
}

// @desktop: the language a user chooses is the server's and the cookie's, the same at any width.
test(
  "a user with an English browser chooses Deutsch: every page is German, until the automatic choice gives English back",
  { tag: "@desktop" },
  async ({ page, browser }, testInfo) => {
    const username = await newUser(browser, testInfo, "sprache");
    await signInAs(page, username);
    await page.goto("/settings");
    await expectPage(page, "en", en.settings.pageTitle);
    await expect(page.getByRole("option", { name: en.settings.language.automatic })).toBeAttached();
    await expect(page.getByLabel(en.settings.language.label)).toHaveValue("");

    await chooseLanguage(page, en, "de", "de");
    await expectPage(page, "de", de.settings.pageTitle);
    await expect(page.getByRole("heading", { name: de.settings.language.heading })).toBeVisible();
    await expect(page.getByLabel(de.settings.language.label)).toHaveValue("de");
    await page.goto("/networks");
    await expectPage(page, "de", de.networks.pageTitle);

    await page.goto("/settings");
    await chooseLanguage(page, de, "", "en");
    await expectPage(page, "en", en.settings.pageTitle);
    await expect(page.getByLabel(en.settings.language.label)).toHaveValue("");
    await page.goto("/networks");
    await expectPage(page, "en", en.networks.pageTitle);
  },
);

test.describe("in a German browser", () => {
  test.use({ locale: "de-DE" });

  // @desktop: the language a user chooses is the server's and the cookie's, the same at any width.
  test("a user who chooses English reads English pages", { tag: "@desktop" }, async ({ page, browser }, testInfo) => {
    const username = await newUser(browser, testInfo, "english");
    await signInAs(page, username);
    await page.goto("/settings");
    await expectPage(page, "de", de.settings.pageTitle);

    await chooseLanguage(page, de, "en", "en");
    await expectPage(page, "en", en.settings.pageTitle);
    await page.goto("/networks");
    await expectPage(page, "en", en.networks.pageTitle);
  });
});
