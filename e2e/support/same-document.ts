import { expect, type Page } from "@playwright/test";

/**
 * "Without a reload", checked on the document itself: a mark set on the page's window survives every update
 * in place and only a new document loses it. Not `framenavigated`: it also fires for same-document history
 * updates, and Next's router writes its state into the history entry once it has hydrated, which on a loaded
 * machine came after the server-rendered text a test had waited for (CI: /alerts "reloaded" to itself, with
 * no second request for the document in the trace).
 */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as Window & { kvmmTestMark?: boolean }).kvmmTestMark = true;
  });
}

/** The page still shows the document markDocument marked. */
export async function expectSameDocument(page: Page, message: string): Promise<void> {
  expect(await page.evaluate(() => (window as Window & { kvmmTestMark?: boolean }).kvmmTestMark === true), message).toBe(true);
}
