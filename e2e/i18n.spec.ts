import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { testRunRoot } from "./fixtures/paths";
import { virsh } from "./fixtures/test-host";
import { ADMIN } from "./support/session";
import { MESSAGES } from "@/server/i18n/messages";

// The German dashboard, chosen by the browser's language alone: every page an admin can open,
// every tab of a VM's page, walked with the words a person reads (text, and the names and hints
// in aria-label, title, placeholder and alt). A page fails on a key without a message (the ⟦key⟧
// mark, server/i18n/messages-fallback.ts), on any English message of the catalog shown where its
// German one belongs, and on English sentences that never went through the catalog. Text that is
// not ours to translate (libvirt's and the guest's words, names, XML) is marked translate="no".

type Catalog = { [key: string]: string | Catalog };

function values(catalog: Catalog): string[] {
  return Object.values(catalog).flatMap((v) => (typeof v === "string" ? [v] : values(v)));
}

const german = new Set(values(MESSAGES.de as unknown as Catalog));
/** English messages without placeholders that differ from every German one: seen on a German page, each is a leftover. */
const englishOnly = new Set(values(MESSAGES.en as unknown as Catalog).filter((v) => !/[{<]/.test(v) && !german.has(v)));
/** Words of English sentences that German sentences never use. */
const ENGLISH_SENTENCE = /\b(the|and|is|are|this|your|with|not|of|to|for|from|has|have|was|will|can|cannot|here|there)\b/i;

const de = MESSAGES.de;

let vm: IdleDomain | undefined;
let pool: { name: string; dir: string } | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
  if (pool) {
    await virsh(["pool-destroy", pool.name]).catch(() => undefined);
    await virsh(["pool-undefine", pool.name]).catch(() => undefined);
    await rm(pool.dir, { recursive: true, force: true });
    pool = undefined;
  }
});

/** A started directory pool with one small volume, so the pool's page shows its volume list. */
async function definePool(name: string) {
  const dir = join(testRunRoot(), name);
  pool = { name, dir };
  await virsh(["pool-define-as", name, "dir", "--target", dir]);
  await virsh(["pool-build", name]);
  await virsh(["pool-start", name]);
  await virsh(["vol-create-as", name, "i18n.qcow2", "16M", "--format", "qcow2"]);
}

test.use({ locale: "de-DE" });

/** The words a person reads or hears on the page now, outside elements marked translate="no". */
async function wordsOnPage(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const verbatim = (el: Element | null) => !!el?.closest('[translate="no"], script, style, noscript, template');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim();
      if (text && !verbatim(node.parentElement)) out.push(text);
    }
    for (const el of document.body.querySelectorAll("[aria-label], [title], [placeholder], [alt], [aria-description]")) {
      if (verbatim(el)) continue;
      for (const name of ["aria-label", "title", "placeholder", "alt", "aria-description"]) {
        const value = el.getAttribute(name)?.trim();
        if (value) out.push(value);
      }
    }
    return out;
  });
}

function leftovers(words: string[]): string[] {
  return words.filter((w) => w.includes("⟦") || englishOnly.has(w) || ENGLISH_SENTENCE.test(w));
}

// @desktop: which words a page shows does not depend on its width; the phone's pages are layout.spec's and the accessibility pass's.
test("a German browser gets every page and VM tab in German, without a missing key or an English leftover", { tag: "@desktop" }, async ({ page }, testInfo) => {
  // Twenty-two pages, each loaded until the network is idle, on a loaded 2-core machine.
  test.setTimeout(180_000);
  const suffix = `${testInfo.project.name}-${randomBytes(3).toString("hex")}`;
  vm = await defineIdleDomain(`kvmm-test-i18n-${suffix}`);
  const poolName = `kvmm-test-i18n-pool-${suffix}`;
  await definePool(poolName);
  const found: Record<string, string[]> = {};

  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  found["/login"] = leftovers(await wordsOnPage(page));
  await page.getByLabel(de.auth.username).fill(ADMIN.username);
  await page.getByLabel(de.auth.password).fill(ADMIN.password);
  await page.getByRole("button", { name: de.auth.signIn }).click();
  await expect(page.getByRole("heading", { name: de.dashboard.title })).toBeVisible();

  const vmPage = `/vms/local/${vm.uuid}`;
  const paths = [
    "/",
    "/vms",
    "/vms/new",
    "/storage",
    `/storage/local/${poolName}`,
    "/networks",
    "/users",
    "/audit",
    "/alerts",
    "/alerts/rules",
    "/insights",
    "/tasks",
    "/schedules",
    "/templates",
    "/settings",
    ...["overview", "metrics", "console", "guest", "files", "disks", "network", "snapshots", "settings"].map((t) => `${vmPage}/${t}`),
  ];
  for (const path of paths) {
    await page.goto(path);
    await expect(page.locator("main h1").first()).toBeVisible();
    // Let client components that load data (lists, forms' options) render what they show.
    await page.waitForLoadState("networkidle");
    found[path] = leftovers(await wordsOnPage(page));
  }
  const failing = Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0));
  expect(failing, "pages with English or missing words").toEqual({});
});
