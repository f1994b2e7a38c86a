// node:child_process, loaded the first time the agent runs a program (exec, services, power,
// account, fsfreeze, logger). An idle agent runs none, and the module with what it brings
// (dgram, the socket list) cost the idle agent 0.3–0.4 MiB RSS natively for the process's life
// (node 20, --lite-mode, two runs each: 44.7 → 44.3–44.4 MiB). test/bundle.test.ts holds it to that.
import { createRequire } from "node:module";
import type * as ChildProcessModule from "node:child_process";

/** Built-ins resolve alike from any base; "/" spares import.meta, which the CommonJS bundle lacks. */
const requireBuiltin = createRequire("/");
let loaded: typeof ChildProcessModule | undefined;

export function childProcess(): typeof ChildProcessModule {
  loaded ??= requireBuiltin("node:child_process") as typeof ChildProcessModule;
  return loaded;
}
