import { VIR_CPU_COMPARE_INCOMPATIBLE, virDomainState } from "../libvirt";
import type { MigrationOptions, PreflightCheck, PreflightCheckId, PreflightResult } from "./contract";
import { PREFLIGHT_CHECKS } from "./contract";
import type { SourceState } from "./params";

/**
 * The pre-flight's judgements and words, free of libvirt calls: each takes what preflight.ts found
 * and says ok, warning or error in plain words naming the VM and both hosts.
 */

/** `VM "web-1" on host "local"`, `host "b"`: how the messages name the three. */
export interface Names {
  vm: string;
  source: string;
  dest: string;
}

export type Finding = Omit<PreflightCheck, "id">;

export const ok = (message: string): Finding => ({ status: "ok", message });
export const warning = (message: string): Finding => ({ status: "warning", message });
export const error = (message: string): Finding => ({ status: "error", message });

const RANK = { ok: 0, warning: 1, error: 2 } as const;

/** One check from several findings (a VM's disks, its NICs): the worst status, every message. */
export function combine(id: PreflightCheckId, findings: Finding[]): PreflightCheck {
  const status = findings.reduce<PreflightCheck["status"]>((worst, f) => (RANK[f.status] > RANK[worst] ? f.status : worst), "ok");
  return { id, status, message: findings.map((f) => f.message).join(" ") };
}

/** The checks in PREFLIGHT_CHECKS order; a check that could not run is a warning saying why. */
export function summarize(live: boolean, checks: Partial<Record<PreflightCheckId, PreflightCheck>>, notChecked: string): PreflightResult {
  const all = PREFLIGHT_CHECKS.map((id) => checks[id] ?? { id, status: "warning" as const, message: `Not checked: ${notChecked}.` });
  return { live, checks: all, ok: all.every((c) => c.status !== "error") };
}

/** running and blocked (waiting on I/O) are running to a migration. */
const STATES: Partial<Record<number, SourceState>> = {
  [virDomainState.RUNNING]: "running",
  [virDomainState.BLOCKED]: "running",
  [virDomainState.PAUSED]: "paused",
  [virDomainState.SHUTOFF]: "shutoff",
};

const STATE_WORDS: Record<number, string> = {
  [virDomainState.NOSTATE]: "in no state",
  [virDomainState.SHUTDOWN]: "shutting down",
  [virDomainState.CRASHED]: "crashed",
  [virDomainState.PMSUSPENDED]: "suspended by the guest",
};

export function judgeState(n: Names, state: number, options: MigrationOptions): { finding: Finding; sourceState: SourceState | null } {
  const sourceState = STATES[state] ?? null;
  if (sourceState === null) {
    return { sourceState, finding: error(`${n.vm} is ${STATE_WORDS[state] ?? `in state ${state}`}: only a running, paused or shut-off VM can move.`) };
  }
  if (sourceState !== "shutoff") {
    const how = sourceState === "paused" ? "It is paused: it moves live and stays paused on" : "It runs: it moves live to";
    return { sourceState, finding: ok(`${how} ${n.dest}.`) };
  }
  if (!options.persistDest) {
    return {
      sourceState,
      finding: error(`${n.vm} is shut off: an offline migration moves only its definition, so it must be kept on ${n.dest} (persistent).`),
    };
  }
  if (options.copyStorage !== "none") {
    return {
      sourceState,
      finding: error(`${n.vm} is shut off: libvirt copies storage only while the VM runs; copy its disks to ${n.dest} first, or start it.`),
    };
  }
  return { sourceState, finding: ok(`It is shut off: its definition moves to ${n.dest} (offline); its disks stay where they are.`) };
}

export interface MemoryFacts {
  /** What the VM uses now (its balloon's target), in KiB. */
  needKiB: number;
  freeBytes: bigint;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;

export function judgeMemory(n: Names, live: boolean, facts: MemoryFacts): Finding {
  const need = facts.needKiB * 1024;
  const free = Number(facts.freeBytes);
  if (!live) return ok(`${n.vm} is shut off: it needs ${mib(need)} only when it starts on ${n.dest} (${mib(free)} free now).`);
  if (free < need) return error(`${n.dest} has ${mib(free)} free; ${n.vm} needs ${mib(need)}.`);
  return ok(`${n.dest} has ${mib(free)} free; ${n.vm} needs ${mib(need)}.`);
}

export interface CpuFacts {
  /** `<domain type>`: kvm, qemu (TCG). */
  domainType: string;
  mode: string;
  model: string | null;
  /** connectCompareHypervisorCpu's answer on the destination, or why it could not say; null when not asked. */
  compared: number | Error | null;
}

export function judgeCpu(n: Names, cpu: CpuFacts): Finding {
  const accel = cpu.domainType === "qemu" ? "emulation (TCG)" : cpu.domainType.toUpperCase();
  if (cpu.mode === "host-passthrough" || cpu.mode === "maximum") {
    return warning(
      `${n.vm} uses the ${cpu.mode} CPU mode: the guest sees ${n.source}'s own CPU, which libvirt cannot compare; it moves safely only to a host with the same CPU model and microcode.`,
    );
  }
  if (!cpu.model) return ok(`${n.vm} uses QEMU's default CPU model under ${accel}, which ${n.dest}'s QEMU offers too.`);
  if (cpu.compared instanceof Error) return warning(`${n.dest} could not compare CPU model ${cpu.model}: ${cpu.compared.message}.`);
  if (cpu.compared === VIR_CPU_COMPARE_INCOMPATIBLE) {
    return error(`${n.dest} cannot offer ${n.vm}'s CPU model ${cpu.model} under ${accel}: its CPU or QEMU lacks features the guest uses.`);
  }
  return ok(`${n.dest} can offer ${n.vm}'s CPU model ${cpu.model} under ${accel}.`);
}

export interface NameFacts {
  uuid: string;
  /** The destination's VM with the same name, if any. */
  byName: { uuid: string; running: boolean } | null;
  /** The destination's VM with the same UUID, if any. */
  byUuid: { name: string; running: boolean } | null;
}

export function judgeName(n: Names, name: string, facts: NameFacts): Finding {
  const { byName, byUuid } = facts;
  if (byName && byName.uuid === facts.uuid && !byName.running) {
    return warning(`${n.dest} keeps a shut-off definition of ${n.vm} (same name and UUID): the migration replaces it.`);
  }
  if (byName) return error(`${n.dest} already has a VM named "${name}"${byName.uuid === facts.uuid ? " running" : ""}: rename one of them first.`);
  if (byUuid) return error(`${n.dest} already has a VM with ${n.vm}'s UUID, named "${byUuid.name}": two VMs cannot share a UUID.`);
  return ok(`${n.dest} has no VM named "${name}" or with its UUID.`);
}
