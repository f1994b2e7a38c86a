import { linuxPlatform } from "./linux/index";
import type { Platform } from "./platform";
import { windowsPlatform } from "./windows/index";

export function selectPlatform(platform: NodeJS.Platform): Platform {
  if (platform === "linux") return linuxPlatform();
  if (platform === "win32") return windowsPlatform();
  throw new Error(`unsupported platform ${platform}: the agent runs on Linux and Windows guests`);
}
