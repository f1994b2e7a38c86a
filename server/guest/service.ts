// What the guest router calls: one function per use case, on a VM the router has already resolved
// (and checked the user's grants for) with resolveVm. Failures come out as ServiceErrors that name
// the VM.
import type { ExecResult, MethodName, MethodParams, MethodResult, Metrics, ProcessList } from "@/agent/protocol";
import type { ResolvedVm } from "../domains/lookup";
import { ServiceError } from "../errors";
import { agentFactsComplete, mergeFacts, networkFact, type AgentFacts, type Fact, type GuestFacts, type InterfaceFact, type QgaFacts } from "./facts";
import { errorText, isGuestError, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { guestHub } from "./index";
import { interfaceAddresses, qgaGuestInfo, qgaReboot, qgaShutdown } from "./qga";
import type { AgentCallOptions } from "./session";

/** What the guest services use of a resolved VM (vmProcedure's `ctx.vm`). */
export type GuestVm = Pick<ResolvedVm, "hostId" | "conn" | "dom" | "context">;

async function track(vm: GuestVm, hub: GuestHub): Promise<GuestStatus> {
  try {
    return await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom);
  } catch (err) {
    throw toServiceError(vm.context, err);
  }
}

/** One call to the VM's agent, with the hub's and the agent's failures as ServiceErrors. */
export async function agentCall<M extends MethodName>(
  vm: GuestVm,
  method: M,
  params?: MethodParams<M>,
  options?: AgentCallOptions,
  hub: GuestHub = guestHub(),
): Promise<MethodResult<M>> {
  const status = await track(vm, hub);
  if (!status.running) throw new ServiceError(`${vm.context}: the VM is not running`, "conflict");
  try {
    return await hub.call(vm.hostId, status.uuid, method, params, options);
  } catch (err) {
    throw toServiceError(vm.context, err);
  }
}

export function guestStatus(vm: GuestVm, hub: GuestHub = guestHub()): Promise<GuestStatus> {
  return track(vm, hub);
}

/** System, network, disk and user facts: from our agent where it answers, else from qemu-ga via libvirt. */
export async function guestFacts(vm: GuestVm, hub: GuestHub = guestHub()): Promise<GuestFacts> {
  const status = await track(vm, hub);
  const sources = {
    agent: status.agent.channel ? status.agent.state : ("absent" as const),
    qga: status.qga.channel ? (status.qga.connected ? ("connected" as const) : ("disconnected" as const)) : ("absent" as const),
  };
  const errors = { agent: [] as string[], qga: [] as string[] };
  let agent: AgentFacts | null = null;
  if (status.running && status.agent.state === "connected") {
    const ask = <M extends MethodName>(method: M, params?: MethodParams<M>) =>
      hub.call(vm.hostId, status.uuid, method, params, { timeoutMs: 15_000 }).catch((err: unknown) => {
        errors.agent.push(`${method}: ${errorText(err)}`);
        return null;
      });
    const [system, network, disks, users] = await Promise.all([ask("get_system_info"), ask("get_network_info"), ask("get_disk_usage"), ask("get_users")]);
    agent = { system, network, disks, users };
  }
  let qga: QgaFacts | null = null;
  if (status.running && !agentFactsComplete(agent)) {
    const [info, addresses] = await Promise.all([
      status.qga.connected
        ? qgaGuestInfo(vm.conn, vm.dom).catch((err: unknown) => {
            errors.qga.push(`guest info: ${errorText(err)}`);
            return null;
          })
        : null,
      interfaceAddresses(vm.conn, vm.dom, { useAgent: status.qga.connected }).catch((err: unknown) => {
        errors.qga.push(`interface addresses: ${errorText(err)}`);
        return null;
      }),
    ]);
    qga = { info, addresses };
  }
  return mergeFacts(agent, qga, sources, errors);
}

/**
 * Only the guest's interfaces and addresses, from the same sources in the same order as
 * guestFacts (our agent, else qemu-ga, else the DHCP leases, else the ARP table), for pages that
 * need nothing else: one agent call instead of four.
 */
export async function guestNetworkFact(vm: GuestVm, hub: GuestHub = guestHub()): Promise<Fact<InterfaceFact[]>> {
  const status = await track(vm, hub);
  if (!status.running) return { value: null, source: null };
  const agent =
    status.agent.state === "connected" ? await hub.call(vm.hostId, status.uuid, "get_network_info", undefined, { timeoutMs: 15_000 }).catch(() => null) : null;
  if (agent) return networkFact(agent, null);
  const addresses = await interfaceAddresses(vm.conn, vm.dom, { useAgent: status.qga.connected }).catch(() => null);
  return networkFact(null, { info: null, addresses });
}

export function guestMetrics(vm: GuestVm, hub?: GuestHub): Promise<Metrics> {
  return agentCall(vm, "get_metrics", {}, undefined, hub);
}

export function guestProcesses(vm: GuestVm, options: { sortBy: "cpu" | "memory" | "pid" | "name"; limit: number }, hub?: GuestHub): Promise<ProcessList> {
  return agentCall(vm, "list_processes", { sort_by: options.sortBy, limit: options.limit }, undefined, hub);
}

export interface ExecInput {
  command: string;
  args?: string[];
  stdin?: string;
  encoding?: "utf8" | "base64";
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

/** How long past the command's own timeout we wait for the agent's answer (killing, collecting output). */
const EXEC_ANSWER_MARGIN_MS = 15_000;
const EXEC_DEFAULT_TIMEOUT_MS = 30_000;

export function guestExec(vm: GuestVm, input: ExecInput, hub?: GuestHub): Promise<ExecResult> {
  return agentCall(
    vm,
    "exec_command",
    {
      command: input.command,
      args: input.args,
      stdin: input.stdin,
      encoding: input.encoding,
      timeout_ms: input.timeoutMs,
      env: input.env,
      cwd: input.cwd,
    },
    { timeoutMs: (input.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS) + EXEC_ANSWER_MARGIN_MS },
    hub,
  );
}

const FILE_CALL_TIMEOUT_MS = 120_000;

export function guestFileStat(vm: GuestVm, input: { path: string; sha256?: boolean }, hub?: GuestHub) {
  return agentCall(vm, "file_stat", { path: input.path, sha256: input.sha256 }, { timeoutMs: FILE_CALL_TIMEOUT_MS }, hub);
}

export function guestFileList(vm: GuestVm, input: { path: string; limit?: number }, hub?: GuestHub) {
  return agentCall(vm, "file_list", { path: input.path, limit: input.limit }, { timeoutMs: FILE_CALL_TIMEOUT_MS }, hub);
}

/** One chunk of a guest file (base64), at `offset`, at most `length` bytes. */
export function guestFileRead(vm: GuestVm, input: { path: string; offset: number; length: number }, hub?: GuestHub) {
  return agentCall(vm, "file_read", { path: input.path, offset: input.offset, length: input.length }, { timeoutMs: FILE_CALL_TIMEOUT_MS }, hub);
}

/** One chunk of an upload: without `offset` the file is replaced atomically; with it, written in place. */
export function guestFileWrite(
  vm: GuestVm,
  input: { path: string; contentBase64: string; offset?: number; createDirs?: boolean; mode?: number },
  hub?: GuestHub,
) {
  return agentCall(
    vm,
    "file_write",
    { path: input.path, content_base64: input.contentBase64, offset: input.offset, create_dirs: input.createDirs, mode: input.mode },
    { timeoutMs: FILE_CALL_TIMEOUT_MS },
    hub,
  );
}

export type PowerAction = "shutdown" | "reboot";
export type PowerVia = "auto" | "agent" | "qga";

export interface PowerResult {
  /** Which agent carried it out. */
  via: "agent" | "qga";
  /** How our agent acts (systemd, busybox, …); null through qemu-ga. */
  method: string | null;
}

/**
 * Shuts down or reboots the guest from inside: through our agent when it is connected and has
 * power enabled, else through qemu-guest-agent (libvirt's agent mode). `via` forces one of them.
 */
export async function guestPower(
  vm: GuestVm,
  action: PowerAction,
  options: { force?: boolean; via?: PowerVia } = {},
  hub: GuestHub = guestHub(),
): Promise<PowerResult> {
  const via = options.via ?? "auto";
  const status = await track(vm, hub);
  if (!status.running) throw new ServiceError(`${vm.context}: the VM is not running`, "conflict");
  const agentUsable = status.agent.state === "connected" && (status.agent.info?.capabilities.includes("power") ?? false);
  if (via === "agent" || (via === "auto" && agentUsable)) {
    try {
      const result = await hub.call(vm.hostId, status.uuid, action, { force: options.force }, { timeoutMs: 15_000 });
      return { via: "agent", method: result.method };
    } catch (err) {
      // The agent went away between the status and the call: qemu-ga may still do it.
      if (via === "agent" || !isGuestError(err, "not_connected") || !status.qga.connected) throw toServiceError(vm.context, err);
    }
  }
  if (via === "qga" || status.qga.connected) {
    try {
      if (action === "shutdown") await qgaShutdown(vm.conn, vm.dom);
      else await qgaReboot(vm.conn, vm.dom);
      return { via: "qga", method: null };
    } catch (err) {
      throw toServiceError(vm.context, err);
    }
  }
  throw new ServiceError(`${vm.context}: neither the KVM Manager agent nor qemu-guest-agent is connected; use the ACPI power button instead`, "conflict");
}
