import { LAUNCHER_HOOK, type LauncherHook } from "./launch";

/** The hook of the launcher that loaded this bundle; undefined when the bundle was started directly (then it cannot update itself). */
export function launcherHook(): LauncherHook | undefined {
  return (globalThis as Record<symbol, LauncherHook | undefined>)[LAUNCHER_HOOK];
}
