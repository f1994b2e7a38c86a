import { spawn } from "node:child_process";
import net from "node:net";
import type { Duplex } from "node:stream";
import {
  flagsOf,
  LibvirtError,
  VIR_DOMAIN_CONSOLE_FORCE,
  VIR_DOMAIN_CONSOLE_SAFE,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  type LibvirtStream,
} from "../libvirt";
import { vmStateName } from "../domains/power";
import type { ResolvedVm } from "../domains/lookup";
import { ServiceError, withLibvirtContext } from "../errors";
import { ChildProcessTransport } from "../libvirt/transport";
import { consoleDevices, withVncGraphics } from "./devices";
import { vncRoute, type VncRoute } from "./vnc-route";
import type { ConsoleKind } from "./tickets";

/**
 * What the console proxy asks of libvirt: whether a VM's console can be opened now (asked when the
 * ticket is issued, so the page says why not before any socket is opened), and the two ways in —
 * libvirt's console stream for the serial port (any host: it travels on the libvirt connection) and
 * QEMU's VNC port for the screen (on this machine directly, through ssh for an ssh host, over the
 * network for a TLS host whose QEMU listens there: vnc-route.ts).
 */

/** Refuses, in words that name the VM, a console that cannot be opened; answers the way to the VNC display for `vnc`. */
export async function checkConsole(vm: ResolvedVm, kind: ConsoleKind): Promise<VncRoute | null> {
  return withLibvirtContext(vm.context, async () => {
    const { state } = await vm.conn.domainGetState({ dom: vm.dom, flags: 0 });
    const name = vmStateName(state);
    if (name !== "running" && name !== "paused" && name !== "blocked") {
      throw new ServiceError(`${vm.context} is not running: start it to open its console`, "conflict");
    }
    const devices = consoleDevices(await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: 0 }));
    if (kind === "serial") {
      if (!devices.serial) throw new ServiceError(`${vm.context} has no serial console (a serial port on a pty)`, "conflict");
      return null;
    }
    if (!devices.hasGraphics) throw new ServiceError(`${vm.context} has no graphics device`, "conflict");
    if (!devices.vnc) throw new ServiceError(`${vm.context} has no VNC display (its graphics device is not VNC)`, "conflict");
    return vncRoute(vm.host.uri, devices.vnc, vm.context);
  });
}

/** libvirt's words when another client holds the console and FORCE was not asked for. */
export function isConsoleBusy(err: unknown): boolean {
  return err instanceof LibvirtError && /active console session exists/i.test(err.libvirtMessage);
}

/**
 * Opens the serial console stream. SAFE makes libvirt refuse a console it cannot guard against a
 * second reader (older QEMU); FORCE breaks whoever holds it now.
 */
export function openSerialStream(vm: ResolvedVm, force: boolean): Promise<LibvirtStream> {
  return vm.conn.domainOpenConsole({ dom: vm.dom, devName: null, flags: flagsOf(VIR_DOMAIN_CONSOLE_SAFE, force ? VIR_DOMAIN_CONSOLE_FORCE : 0) });
}

/**
 * How long a VNC display may take to answer (a TCP connect to a TLS host's address; ssh's login,
 * forward and QEMU's greeting) before the console is given up: neither the kernel's SYN retries
 * (about 2 min) nor ssh (none) has a deadline a person waits for.
 */
const VNC_OPEN_MS = 20_000;

/**
 * How long a display that refuses connections is asked again. libvirt puts a starting VM's VNC port in its
 * live definition, and reports the VM (paused, starting up), before QEMU listens on the port: a console
 * opened in that window (a page following the VM's events, seen in a test run) was refused and stayed so.
 */
export const VNC_STARTING_MS = 5_000;
const VNC_RETRY_MS = 200;
/** What a display not listening yet answers: nothing on the port, or no socket file yet. */
const NOT_LISTENING_YET = new Set(["ECONNREFUSED", "ENOENT"]);

/** A connection to QEMU's VNC server along `route`; resolves once it carries bytes, rejects in words that name the VM. */
export async function connectVnc(route: VncRoute, context: string, startingMs = VNC_STARTING_MS): Promise<Duplex> {
  if (route.kind === "ssh") return forwardVnc(route, context);
  const where = route.kind === "tcp" ? `${route.host} port ${route.port}` : route.path;
  const deadline = Date.now() + startingMs;
  for (;;) {
    try {
      return await connectDirect(route);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (!NOT_LISTENING_YET.has(code) || Date.now() >= deadline)
        throw new Error(`${context}: cannot reach its VNC display at ${where}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, VNC_RETRY_MS));
    }
  }
}

function connectDirect(route: Exclude<VncRoute, { kind: "ssh" }>): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = route.kind === "tcp" ? net.connect({ host: route.host, port: route.port }) : net.connect({ path: route.path });
    socket.setTimeout(VNC_OPEN_MS, () => socket.destroy(new Error(`no answer within ${VNC_OPEN_MS / 1000} s`)));
    socket.once("connect", () => {
      socket.setTimeout(0);
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** ssh's stdio forward to the VNC address on the host: no shell, the argv vncRoute built; destroying the stream kills ssh. */
async function forwardVnc(route: Extract<VncRoute, { kind: "ssh" }>, context: string): Promise<Duplex> {
  const child = spawn(route.file, route.args, { stdio: ["pipe", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error) => reject(new Error(`${context}: cannot run ${route.file}: ${error.message}`)));
  });
  return greeted(new ChildProcessTransport(child, route.file), context);
}

/**
 * Resolves once the VNC server's first bytes came through (VNC servers speak first: "RFB 003.008\n"),
 * with them put back and the stream paused for the bridge; rejects with ssh's first line of complaint
 * when it ends before (host key, login, nothing listening at the forwarded address), so a console that
 * cannot be reached fails to open (4005) in ssh's words instead of opening and breaking at once.
 */
function greeted(stream: ChildProcessTransport, context: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      stream.off("data", onData).off("error", onEnd).off("close", onEnd);
    };
    const fail = (why: string) => {
      settle();
      stream.destroy();
      reject(new Error(`${context}: VNC through ssh: ${why}`));
    };
    const onData = (chunk: Buffer) => {
      settle();
      stream.pause();
      stream.unshift(chunk);
      resolve(stream);
    };
    const onEnd = (error?: Error) => fail(stream.stderrText.split(/\r?\n/)[0]!.trim() || (error?.message ?? "ssh ended before the VNC server answered"));
    const timer = setTimeout(() => fail(`no answer from the VNC display within ${VNC_OPEN_MS / 1000} s`), VNC_OPEN_MS);
    stream.on("data", onData).once("error", onEnd).once("close", onEnd);
  });
}

/** Adds the wizard's VNC display to the persistent definition; QEMU gets it at the VM's next start. */
export async function addVncGraphics(vm: ResolvedVm): Promise<{ added: boolean }> {
  return withLibvirtContext(vm.context, async () => {
    // SECURE: the definition is written back whole, so nothing in it may come back masked.
    const inactive = await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
    // A definition with a display already (VNC, or SPICE) keeps it: a second display is not what was asked for.
    const edited = withVncGraphics(inactive);
    if (edited === null) return { added: false };
    await vm.conn.domainDefineXmlFlags({ xml: edited, flags: 0 });
    return { added: true };
  });
}
