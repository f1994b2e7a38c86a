import { expect, type Page } from "@playwright/test";

/** The count on the visible nav's Alerts badge; 0 when it shows none. */
export async function badgeCount(page: Page): Promise<number> {
  const badge = page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByTestId("alert-badge");
  if ((await badge.count()) === 0) return 0;
  return Number((await badge.locator('[aria-hidden="true"]').textContent()) ?? "0");
}

export interface ListedAlert {
  id: number;
  state: string;
  silenced: boolean;
}

/** The firing alerts this page's user may see, from the API. */
export async function firingAlerts(page: Page): Promise<ListedAlert[]> {
  const res = await page.request.get(`/api/trpc/alerts.list?input=${encodeURIComponent(JSON.stringify({ state: "firing", limit: 500 }))}`);
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: ListedAlert[] } }).result.data;
}

/**
 * Whether alert `id` is firing (and if so silenced) and the badge counts exactly the unsilenced
 * firing alerts. Other tests' alerts fire and resolve meanwhile (the collector watches the whole
 * host and tests run side by side), so the badge is compared with the list, never with a number.
 */
export async function badgeAgrees(page: Page, id: number): Promise<{ firing: boolean; silenced: boolean | undefined; badgeMatches: boolean }> {
  const firing = await firingAlerts(page);
  const ours = firing.find((a) => a.id === id);
  return { firing: !!ours, silenced: ours?.silenced, badgeMatches: (await badgeCount(page)) === firing.filter((a) => !a.silenced).length };
}
