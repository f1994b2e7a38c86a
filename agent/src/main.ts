import { AGENT_PORT_NAME, PROTOCOL_VERSION } from "../protocol/version";
import { Agent } from "./agent";
import { parseCli, usage, UsageError } from "./cli";
import { ConfigError, loadConfig } from "./config";
import { unfreezeNow } from "./freeze/command";
import { Logger } from "./log";
import { selectPlatform } from "./platform/select";
import { chooseSink } from "./syslog";
import { selectTransport } from "./transport/select";
import { launcherHook } from "./update/hook";
import { EXIT_RESTART } from "./update/launch";
import { AGENT_VERSION } from "./version";

/** sysexits(3): lets the service manager tell a bad config or command line from a crash. */
const EX_USAGE = 64;
const EX_SOFTWARE = 70;
const EX_CONFIG = 78;

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (cli.version) {
    process.stdout.write(`kvmmanager-agent ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION})\n`);
    return;
  }
  const platform = selectPlatform(process.platform);
  const config = await loadConfig(cli.configPath ?? platform.defaultConfigPath, cli.configPath !== undefined, platform.defaultAllowedPaths);
  const log = new Logger(config.log_level, chooseSink(process.env, process.platform));
  /** Set once the agent exists; the crash handler below is in place before that. */
  const running: { agent?: Agent } = {};
  process.on("uncaughtException", (error) => {
    // Thawed first: a guest must not stay frozen because its agent crashed, and the log may live on a frozen filesystem.
    const frozen = running.agent?.frozenMounts() ?? [];
    const notThawed = unfreezeNow(frozen);
    log.release();
    log.error("unexpected failure, exiting", {
      error: error.stack ?? error.message,
      thawed: frozen.filter((m) => !notThawed.includes(m)),
      not_thawed: notThawed,
    });
    process.exit(EX_SOFTWARE);
  });
  const transport = await selectTransport(cli.devicePath ?? platform.devicePath(AGENT_PORT_NAME), process.platform, log);
  const agent: Agent = new Agent({
    config,
    platform,
    transport,
    log,
    launcher: launcherHook(),
    // After a self-update: exit non-zero so the service manager starts the launcher again, which runs the new bundle on trial.
    restart: () => {
      log.info("restarting into the updated bundle", { exit_code: EXIT_RESTART });
      void agent.stop().finally(() => process.exit(EXIT_RESTART));
    },
  });
  running.agent = agent;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info("stopping", { signal });
      void agent.stop().finally(() => process.exit(0));
    });
  }
  agent.start();
}

main().catch((error: unknown) => {
  const exitCode = error instanceof UsageError ? EX_USAGE : error instanceof ConfigError ? EX_CONFIG : EX_SOFTWARE;
  process.stderr.write(`kvmmanager-agent: ${(error as Error).message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${usage}\n`);
  process.exit(exitCode);
});
