/**
 * The one spelling of everything an action can be done to. Audit rows use these as their target
 * and error messages as their prefix, so a search for `VM "web-1"` finds both, and a reader never
 * meets `vm local/<uuid>` in one place and `VM "web-1" on host "local"` in another.
 */
export const auditTargets = {
  host: (hostId: string) => `host "${hostId}"`,
  vm: (hostId: string, name: string) => `VM "${name}" on host "${hostId}"`,
  /** A VM not (yet) found: named by its UUID, the only thing the caller gave. */
  vmById: (hostId: string, uuid: string) => `VM ${uuid} on host "${hostId}"`,
  /** Something inside a VM: a snapshot, a disk, a guest file. */
  inVm: (vmTarget: string, part: string) => `${vmTarget}: ${part}`,
  pool: (hostId: string, pool: string) => `pool "${pool}" on host "${hostId}"`,
  volume: (hostId: string, pool: string, volume: string) => `volume "${volume}" in pool "${pool}" on host "${hostId}"`,
  network: (hostId: string, network: string) => `network "${network}" on host "${hostId}"`,
  user: (username: string) => `user "${username}"`,
  /** A run-time setting, by its key in the settings table (`metrics.retention`). */
  setting: (key: string) => `setting "${key}"`,
  metricsToken: (name: string) => `metrics token "${name}"`,
  /** A sign-in with a name that matches no account: the name itself is never stored (it is often a password). */
  unknownUser: "unknown user",
} as const;

const QUOTED = '"[^"]+"';

/** Every form above, for the test that reads back every audit row the suite wrote. */
export const CANONICAL_TARGET = new RegExp(
  [
    `host ${QUOTED}`,
    `VM ${QUOTED} on host ${QUOTED}(: .+)?`,
    `VM [0-9a-f-]{36} on host ${QUOTED}`,
    `pool ${QUOTED} on host ${QUOTED}`,
    `volume ${QUOTED} in pool ${QUOTED} on host ${QUOTED}`,
    `network ${QUOTED} on host ${QUOTED}`,
    `user ${QUOTED}`,
    `setting ${QUOTED}`,
    `metrics token ${QUOTED}`,
    "unknown user",
  ]
    .map((form) => `^${form}$`)
    .join("|"),
);
