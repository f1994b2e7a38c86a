import net from "node:net";
import {
  flagsOf,
  LibvirtError,
  VIR_DOMAIN_CONSOLE_FORCE,
  VIR_DOMAIN_CONSOLE_SAFE,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  parseLibvirtUri,
  type LibvirtStream,
} from "../libvirt";
import { vmStateName } from "../domains/power";
import type { ResolvedVm } from "../domains/lookup";
import { ServiceError, withLibvirtContext } from "../errors";
import { consoleDevices, withVncGraphics, type VncEndpoint } from "./devices";
import type { ConsoleKind } from "./tickets";

/**
 * What the console proxy asks of libvirt: whether a VM's console can be opened now (asked when the
 * ticket is issued, so the page says why not before any socket is opened), and the two ways in —
 * libvirt's console stream for the serial port (any host: it travels on the libvirt connection) and
 * QEMU's VNC port for the screen (the local host only: QEMU listens on its loopback).
 */

/** Whether the manager runs on the host itself (a unix socket to its libvirtd), where QEMU's loopback is ours. */
export function isLocalHost(uri: string): boolean {
  try {
    const parsed = parseLibvirtUri(uri);
    return parsed.transport === "unix" && parsed.host === null;
  } catch {
    return false;
  }
}

/** Refuses, in words that name the VM, a console that cannot be opened; answers the VNC endpoint for `vnc`. */
export async function checkConsole(vm: ResolvedVm, kind: ConsoleKind): Promise<VncEndpoint | null> {
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
    if (!isLocalHost(vm.host.uri)) {
      throw new ServiceError(
        `${vm.context}: the graphical console of a VM on a remote host comes with multi-host support; its serial console works now`,
        "unavailable",
      );
    }
    return devices.vnc;
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

/** A TCP (or unix) connection to QEMU's VNC server; resolves once connected. */
export function connectVnc(endpoint: VncEndpoint): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.kind === "tcp" ? net.connect({ host: endpoint.address, port: endpoint.port }) : net.connect({ path: endpoint.path });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
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
