/**
 * Back-off waits of the transport; never used to wait for state in tests. A plain timer, not
 * node:timers/promises: that module (with the AbortController code it loads) is not otherwise
 * loaded by an idle agent.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
