// The guest's mounts as its system sees them, not as the agent's sandbox does.
import { readlinkSync } from "node:fs";

/**
 * One mount namespace's table, and how the agent reaches a path in it.
 *
 * Under the packaged systemd unit (ProtectSystem=strict, ProtectHome=read-only, ProtectKernel*) the
 * agent's own namespace is not the guest's: every system mount is read-only there, tmpfs covers
 * /proc/kcore, /run/user and the like, and /tmp, /var/tmp and the agent's state directory are bind
 * mounts — 38 mounts against the system's 25 in the Debian test guest. Read from there, telemetry
 * left "/" out as read-only and listed /tmp, /var/tmp and /var/lib/kvmmanager-agent as three ext4
 * filesystems, and fs_freeze skipped every filesystem that was read-only only for the agent ("/"
 * was frozen through the /tmp bind mount; a /home on its own disk would not have been).
 */
export interface MountView {
  /** The namespace's mounts(5) table. */
  mounts: string;
  /** The same as proc(5)'s mountinfo. */
  mountinfo: string;
  /** Where the agent reaches this namespace's `mountpoint`. */
  path(mountpoint: string): string;
}

export const OWN_MOUNTS: MountView = { mounts: "/proc/self/mounts", mountinfo: "/proc/self/mountinfo", path: (mountpoint) => mountpoint };

/** init's namespace: /proc/1/root resolves a path there, whatever the agent's own namespace hides or adds. */
export const INIT_MOUNTS: MountView = {
  mounts: "/proc/1/mounts",
  mountinfo: "/proc/1/mountinfo",
  path: (mountpoint) => (mountpoint === "/" ? "/proc/1/root" : `/proc/1/root${mountpoint}`),
};

/**
 * init's namespace where it differs from the agent's and the agent may look into it; else its own.
 * Reading /proc/1/ns/mnt takes the same ptrace access (PTRACE_MODE_READ_FSCREDS) as following
 * /proc/1/root: root with CAP_SYS_PTRACE, which the unit's bounding set keeps. Each link reads
 * "mnt:[<inode>]", equal when the namespaces are one.
 */
export function chooseMountView(readLink: (path: string) => string = readlinkSync): MountView {
  try {
    return readLink("/proc/1/ns/mnt") === readLink("/proc/self/ns/mnt") ? OWN_MOUNTS : INIT_MOUNTS;
  } catch {
    return OWN_MOUNTS;
  }
}

let chosen: MountView | null = null;

/** Chosen once: neither namespace changes while the agent runs. */
export function systemMountView(): MountView {
  return (chosen ??= chooseMountView());
}
