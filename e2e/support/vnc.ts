import type { Page } from "@playwright/test";

/** How many different pixel values the noVNC canvas holds (1 = one flat colour, or nothing drawn yet). */
export function distinctPixels(page: Page): Promise<number> {
  return page.getByTestId("vnc-screen").evaluate((screen) => {
    const canvas = screen.querySelector("canvas");
    if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length && seen.size < 16; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return seen.size;
  });
}
