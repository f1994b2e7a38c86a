import { childProcess } from "../child-process";
import type { Logger } from "../log";

/** Starts the power command detached, so that it outlives the agent it is about to stop. */
export function startPowerCommand(argv: string[], requestId: unknown, log: Logger): void {
  const [program, ...args] = argv;
  if (!program) return;
  const child = childProcess().spawn(program, args, { detached: true, stdio: "ignore" });
  child.on("error", (error) => log.audit({ event: "power_failed", id: requestId, command: argv.join(" "), error: error.message }));
  child.on("exit", (code, signal) => {
    if (code !== 0) log.audit({ event: "power_command_exited", id: requestId, command: argv.join(" "), code, signal });
  });
  child.unref();
}
