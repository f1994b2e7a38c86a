import { parseArgs } from "node:util";

export interface CliOptions {
  configPath: string | undefined;
  devicePath: string | undefined;
  help: boolean;
  version: boolean;
}

export const usage = `Usage: kvmmanager-agent [--config FILE] [--device PATH]

  --config FILE   JSON config (default /etc/kvmmanager-agent/config.json; missing = secure defaults)
  --device PATH   virtio-serial port, or a unix socket to connect to as a client
                  (default /dev/virtio-ports/org.kvmmanager.agent.0)
  --version       print the agent and protocol versions
  --help          print this text`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseCli(argv: string[]): CliOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        device: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      configPath: values.config,
      devicePath: values.device,
      help: values.help ?? false,
      version: values.version ?? false,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
