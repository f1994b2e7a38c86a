// What the guest router calls: one function per use case, on a VM the router has already resolved
// (and checked the user's grants for) with resolveVm. Failures come out as ServiceErrors that name
// the VM.
import type {
  ExecResult,
  MethodName,
  MethodParams,
  MethodResult,
  Metrics,
  PackageList,
  ProcessList,
  ServiceActionName,
  ServiceActionResult,
  ServiceList,
} from "@/agent/protocol";
import type { ResolvedVm } from "../domains/lookup";
import { ServiceError } from "../errors";
import { agentFactsComplete, mergeFacts, networkFact, type AgentFacts, type Fact, type GuestFacts, type InterfaceFact, type QgaFacts } from "./facts";
import { errorText, isGuestError, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { guestHub } from "./index";
import { QGA_CHUNK_BYTES, interfaceAddresses, qgaGuestInfo, qgaReadChunk, qgaReboot, qgaShutdown, qgaWriteChunk } from "./qga";
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

/** Renames `from` to `to`, replacing a file at `to` in one step: how an upload written under a temporary name appears. */
export function guestFileRename(vm: GuestVm, input: { from: string; to: string }, hub?: GuestHub) {
  return agentCall(vm, "file_rename", { from: input.from, to: input.to }, { timeoutMs: FILE_CALL_TIMEOUT_MS }, hub);
}

/** Removes a file or symlink: a cancelled or failed upload's temporary. */
export function guestFileRemove(vm: GuestVm, input: { path: string }, hub?: GuestHub) {
  return agentCall(vm, "file_remove", { path: input.path }, { timeoutMs: FILE_CALL_TIMEOUT_MS }, hub);
}

/** How the Files tab can reach the guest's files right now, and why not when it cannot. */
export interface FileAccess {
  running: boolean;
  /**
   * "agent": browse, transfer and check with SHA-256 through our agent; "qga": transfer by path
   * through qemu-guest-agent's guest-file-* in 64 KiB chunks (no listing, no hash); null: neither.
   */
  via: "agent" | "qga" | null;
  /** Where browsing may start (the agent's allowed_paths); empty when the agent does not say. */
  roots: string[];
  /** Raw bytes per chunk the browser should send or ask for. */
  chunkBytes: number;
  /** The agent can rename and remove, so an upload goes through a temporary name. */
  atomicUpload: boolean;
  agent: { channel: boolean; state: string; read: boolean; write: boolean; lastError: string | null };
  qga: { channel: boolean; connected: boolean };
}

/** Our agent's chunks through tRPC: its own limit, and never above what one tRPC body may carry. */
export const FILE_CHUNK_MAX_BYTES = 1024 * 1024;

export async function guestFileAccess(vm: GuestVm, hub: GuestHub = guestHub()): Promise<FileAccess> {
  const status = await track(vm, hub);
  const info = status.agent.state === "connected" ? status.agent.info : null;
  const caps = info?.capabilities ?? [];
  const read = caps.includes("file.read");
  const write = caps.includes("file.write");
  const agentUsable = status.running && (read || write);
  const qgaUsable = status.running && status.qga.connected;
  return {
    running: status.running,
    via: agentUsable ? "agent" : qgaUsable ? "qga" : null,
    roots: info?.allowed_paths ?? [],
    chunkBytes: agentUsable ? Math.min(info!.limits.max_file_chunk_bytes, FILE_CHUNK_MAX_BYTES) : QGA_CHUNK_BYTES,
    atomicUpload: agentUsable && write && caps.includes("file.manage"),
    agent: { channel: status.agent.channel, state: status.agent.state, read, write, lastError: status.agent.lastError },
    qga: { channel: status.qga.channel, connected: status.qga.connected },
  };
}

async function runningWithQga(vm: GuestVm, hub: GuestHub): Promise<void> {
  const status = await track(vm, hub);
  if (!status.running) throw new ServiceError(`${vm.context}: the VM is not running`, "conflict");
  if (!status.qga.connected) throw new ServiceError(`${vm.context}: qemu-guest-agent is not connected`, "conflict");
}

/** One chunk of a guest file through qemu-guest-agent (the slower path, for guests without our agent). */
export async function guestQgaFileRead(vm: GuestVm, input: { path: string; offset: number; length: number }, hub: GuestHub = guestHub()) {
  await runningWithQga(vm, hub);
  try {
    const chunk = await qgaReadChunk(vm.conn, vm.dom, input.path, input.offset, Math.min(input.length, QGA_CHUNK_BYTES));
    return { contentBase64: chunk.data.toString("base64"), length: chunk.data.length, size: chunk.size, eof: chunk.eof };
  } catch (err) {
    throw toServiceError(`${vm.context}: qemu-guest-agent: ${input.path}`, err);
  }
}

/** One chunk of an upload through qemu-guest-agent: offset 0 creates or truncates the file. */
export async function guestQgaFileWrite(vm: GuestVm, input: { path: string; offset: number; contentBase64: string }, hub: GuestHub = guestHub()) {
  await runningWithQga(vm, hub);
  try {
    return await qgaWriteChunk(vm.conn, vm.dom, input.path, input.offset, Buffer.from(input.contentBase64, "base64"));
  } catch (err) {
    throw toServiceError(`${vm.context}: qemu-guest-agent: ${input.path}`, err);
  }
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

// Services and packages (issue 15): the agent's answers are checked against the protocol's result
// schemas by the client (bounded lists and strings) before they get here.

/** The agent's own wait for the init system's job, and how long past it we wait for the answer. */
const SERVICE_ACTION_TIMEOUT_MS = 60_000;
const SERVICE_ANSWER_MARGIN_MS = 15_000;
/** Listing every unit or package under TCG takes seconds; a loaded guest gets room. */
const LIST_CALL_TIMEOUT_MS = 90_000;

export function guestServices(vm: GuestVm, input: { limit: number }, hub?: GuestHub): Promise<ServiceList> {
  return agentCall(vm, "list_services", { limit: input.limit }, { timeoutMs: LIST_CALL_TIMEOUT_MS }, hub);
}

export function guestServiceAction(vm: GuestVm, input: { name: string; action: ServiceActionName }, hub?: GuestHub): Promise<ServiceActionResult> {
  return agentCall(
    vm,
    "service_action",
    { name: input.name, action: input.action, timeout_ms: SERVICE_ACTION_TIMEOUT_MS },
    { timeoutMs: SERVICE_ACTION_TIMEOUT_MS + SERVICE_ANSWER_MARGIN_MS },
    hub,
  );
}

export function guestPackages(vm: GuestVm, input: { limit: number }, hub?: GuestHub): Promise<PackageList> {
  return agentCall(vm, "list_packages", { limit: input.limit }, { timeoutMs: LIST_CALL_TIMEOUT_MS }, hub);
}
