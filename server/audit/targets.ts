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
  /** Alerts (server/alerts/): a rule by name, or by id when none was found; an alert by id, with what it is about once known. */
  alertRule: (name: string) => `alert rule "${name}"`,
  alertRuleById: (id: number) => `alert rule ${id}`,
  alert: (id: number, about?: string) => (about ? `alert ${id} (${about})` : `alert ${id}`),
  silence: (id: number) => `silence ${id}`,
  /** Everything with a tag (a silence by tag). */
  tag: (tag: string) => `tag "${tag}"`,
  metricsToken: (name: string) => `metrics token "${name}"`,
  /** The insights of every host and VM (server/insights/): a recomputation judges them all. */
  insights: "insights",
  /** A task (server/tasks/) not found: named by its id; one that is found is audited against what it acts on. */
  task: (id: string) => `task ${id}`,
  /** A backup (server/backups/) not found: named by its id; one that is found is named inside its VM (`VM "web-1" on host "local": backup <id>`). */
  backup: (id: string) => `backup ${id}`,
  /** A webhook endpoint or e-mail list alerts are sent to (server/notifications/), by name, or by id when none was found. */
  notificationChannel: (name: string) => `notification channel "${name}"`,
  notificationChannelById: (id: number) => `notification channel ${id}`,
  /** A schedule (server/automation/), by name, or by id when none was found. */
  schedule: (name: string) => `schedule "${name}"`,
  scheduleById: (id: number) => `schedule ${id}`,
  /** A template (server/templates/) by name on its host, or by id when none was found. */
  template: (hostId: string, name: string) => `template "${name}" on host "${hostId}"`,
  templateById: (id: string) => `template ${id}`,
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
    `alert rule ${QUOTED}`,
    "alert rule [0-9]+",
    "alert [0-9]+( \\(.+\\))?",
    "silence [0-9]+",
    `tag ${QUOTED}`,
    `metrics token ${QUOTED}`,
    "insights",
    "task [0-9a-f]{24}",
    "backup [0-9a-f]{16}",
    `notification channel ${QUOTED}`,
    "notification channel [0-9]+",
    `schedule ${QUOTED}`,
    "schedule [0-9]+",
    `template ${QUOTED} on host ${QUOTED}`,
    "template [0-9a-f]{16}",
    "unknown user",
  ]
    .map((form) => `^${form}$`)
    .join("|"),
);
