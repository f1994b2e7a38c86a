import { setTimeout as sleep } from "node:timers/promises";

/** Back-off waits of the transport; never used to wait for state in tests. */
export function delay(ms: number): Promise<void> {
  return sleep(ms).then(() => undefined);
}
