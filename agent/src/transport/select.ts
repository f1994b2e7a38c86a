import { stat } from "../fs-async";
import { delay } from "../delay";
import type { Logger } from "../log";
import type { Transport } from "./transport";
import { PollingPortTransport } from "./polling-port";
import { UnixSocketTransport } from "./unix-socket";
import { pipeBinding, VirtioPortTransport } from "./virtio-port";

const APPEAR_POLL_MS = 1_000;

/**
 * A unix socket at PATH means "connect to it as a client"; anything else is a
 * virtio-serial port. A PATH that does not exist yet (module not loaded, port not
 * hot-plugged) is waited for, since only then can its kind be known.
 */
export async function selectTransport(devicePath: string, platform: NodeJS.Platform, log: Logger): Promise<Transport> {
  if (platform === "win32") return new PollingPortTransport(devicePath, log);
  let warned = false;
  for (;;) {
    try {
      const info = await stat(devicePath);
      return info.isSocket() ? new UnixSocketTransport(devicePath, log) : portTransport(devicePath, log);
    } catch (error) {
      if (!warned) log.warn("waiting for the channel to appear", { path: devicePath, error: (error as Error).message });
      warned = true;
      await delay(APPEAR_POLL_MS);
    }
  }
}

/** Event-driven where Node lets us wrap the port in a libuv pipe handle (see virtio-port.ts), else polled. */
function portTransport(devicePath: string, log: Logger): Transport {
  const binding = pipeBinding();
  if (binding) return new VirtioPortTransport(devicePath, log, { binding });
  log.warn("this Node offers no pipe handle for the port; polling it instead", { node: process.version });
  return new PollingPortTransport(devicePath, log);
}
