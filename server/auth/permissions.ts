import type { GrantKind, Role } from "../db/schema";

/** Every capability a procedure can require. `self` is the signed-in user acting on their own account. */
export const PERMISSIONS = [
  "self",
  "host.read",
  "host.manage",
  "vm.read",
  "vm.power",
  "vm.console",
  "vm.create",
  "vm.edit",
  "vm.delete",
  "vm.snapshot",
  /**
   * Move a VM to another host (server/migration/): operators, as moving VMs off a host is routine
   * upkeep; the user's grants must cover the destination host as well as the VM.
   */
  "vm.migrate",
  "guest.read",
  "guest.exec",
  "guest.files",
  "storage.read",
  "storage.manage",
  "network.read",
  "network.manage",
  "alert.read",
  "alert.ack",
  "alert.manage",
  "user.manage",
  "audit.read",
  /** Run-time settings of the whole installation (metrics retention): admins only. */
  "settings.manage",
  /** Make and revoke the bearer tokens Prometheus scrapes `/metrics` with (admins: a token reads every VM's figures). */
  "metrics.tokens",
  /** Recompute the insights now (admins: it reads every host and VM, and is otherwise a daily job). */
  "insight.recompute",
  /** Tasks (server/tasks/): see them (narrowed like VMs), cancel one's own, cancel anyone's. */
  "task.read",
  "task.cancel",
  "task.cancelAny",
  /** Backups (server/backups/): see them (narrowed like VMs); back up now and verify; restore; delete; mark backup targets. */
  "backup.read",
  "backup.create",
  "backup.restore",
  "backup.delete",
  "backup.target",
  /**
   * Schedules (server/automation/): see them (narrowed like VMs), and create, change, delete and run
   * them now. Operators may manage: a schedule only does later what they may do now (vm.power,
   * vm.snapshot on VMs their grants cover), and every run checks its creator's rights again.
   */
  "schedule.read",
  "schedule.manage",
  /** Templates (server/templates/): see them (every role); make and delete them (admins). Deploying one needs vm.create. */
  "template.read",
  "template.manage",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: readonly Permission[] = [
  "self",
  "host.read",
  "vm.read",
  "guest.read",
  "storage.read",
  "network.read",
  "alert.read",
  "task.read",
  "backup.read",
  "schedule.read",
  "template.read",
];

/**
 * Operators look after running VMs, so they acknowledge and silence alerts (alert.ack); the rules
 * themselves decide what every user is told, so editing them (alert.manage) stays with admins.
 */
const OPERATOR: readonly Permission[] = [
  ...VIEWER,
  "vm.power",
  "vm.console",
  "vm.snapshot",
  "vm.migrate",
  "guest.exec",
  "guest.files",
  "alert.ack",
  "task.cancel",
  "backup.create",
  "schedule.manage",
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  operator: new Set(OPERATOR),
  viewer: new Set(VIEWER),
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

export interface Grant {
  kind: GrantKind;
  value: string;
}

export interface VmRef {
  hostId: string;
  name: string;
  tags: readonly string[];
}

/** `*` matches any run of characters, `?` one character; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

function grantMatches(grant: Grant, vm: VmRef): boolean {
  switch (grant.kind) {
    case "host":
      return grant.value === vm.hostId;
    case "name":
      return globToRegExp(grant.value).test(vm.name);
    case "tag":
      return vm.tags.includes(grant.value);
  }
}

/** Admins see everything; other users are narrowed to the VMs their grants match, when they have any. */
export function vmInScope(role: Role, grants: readonly Grant[], vm: VmRef): boolean {
  if (role === "admin" || grants.length === 0) return true;
  return grants.some((g) => grantMatches(g, vm));
}

/**
 * Whether the user's grants cover a whole host: admins, users without grants, and users granted
 * `host:<that host>`. Only they see the host's shared resources (storage pools and their volumes,
 * networks, DHCP leases, counts of all its VMs); a user narrowed to some VMs sees just what
 * belongs to those VMs, since the rest names and describes other people's VMs.
 */
export function coversHost(role: Role, grants: readonly Grant[], hostId: string): boolean {
  if (role === "admin" || grants.length === 0) return true;
  return grants.some((g) => g.kind === "host" && g.value === hostId);
}
