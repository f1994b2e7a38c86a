import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "./lookup";
import { withLibvirtContext, ServiceError } from "../errors";
import {
  flagsOf,
  LibvirtError,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_CONFIG_UNSUPPORTED,
  VIR_ERR_OPERATION_UNSUPPORTED,
} from "../libvirt";
import { userCoversHost } from "../hosts/scope";
import type { XmlNode } from "../xml/codec";
import { listNetworks } from "../networks/service";
import { guestNetworkFact } from "../guest/service";
import type { AddressFact, FactSource } from "../guest/facts";
import {
  bridgeNameOf,
  buildNicXml,
  findNicElement,
  nicElementXml,
  nicMacs,
  nicViews,
  withNicLink,
  withNicSource,
  type NewNic,
  type NicSource,
  type NicView,
} from "./nic-xml";

/**
 * A VM's network cards: list them with the guest's addresses, add, remove, move to another
 * network or bridge, pull or plug the virtual cable. Every change goes to the running VM and to
 * its saved definition together, as far as the VM's state allows (shut off: the definition only;
 * a transient VM: the running one only), and answers where it went, so the page can say whether
 * it applies now, at the next boot, or both.
 */

export interface NicChange {
  mac: string;
  /** Changed in the running VM: applies now. */
  live: boolean;
  /** Changed in the saved definition: applies at every boot from the next on. */
  persistent: boolean;
}

interface VmXml {
  active: boolean;
  persistent: boolean;
  live: string | null;
  config: string | null;
}

async function vmXml(vm: ResolvedVm): Promise<VmXml> {
  const { conn, dom } = vm;
  const [active, persistent] = await Promise.all([conn.domainIsActive({ dom }), conn.domainIsPersistent({ dom })]);
  const [live, config] = await Promise.all([
    active === 1 ? conn.domainGetXmlDesc({ dom, flags: 0 }) : null,
    persistent === 1 ? conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE }) : null,
  ]);
  return { active: active === 1, persistent: persistent === 1, live, config };
}

function flagsFor(live: boolean, persistent: boolean) {
  return flagsOf(live ? VIR_DOMAIN_AFFECT_LIVE : 0, persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

export interface NicAddresses {
  /** Where the addresses came from: our agent, qemu-guest-agent, the network's DHCP leases, the host's ARP table. */
  source: FactSource | null;
  addresses: AddressFact[];
  /** The guest's own name for the card (eth1), when an agent told it. */
  guestName: string | null;
}

export interface NicList {
  running: boolean;
  persistent: boolean;
  nics: (NicView & { guest: NicAddresses | null })[];
}

/** The VM's NICs; with `addresses`, each running one with the guest's addresses for its MAC and where they came from. */
export async function listNics(vm: ResolvedVm, { addresses }: { addresses: boolean }): Promise<NicList> {
  const xml = await withLibvirtContext(vm.context, () => vmXml(vm));
  const views = nicViews(xml.live, xml.config);
  const fact = addresses && xml.active ? await guestNetworkFact(vm) : null;
  return {
    running: xml.active,
    persistent: xml.persistent,
    nics: views.map((view) => {
      if (!fact || !view.live) return { ...view, guest: null };
      const inGuest = (fact.value ?? []).filter((i) => i.mac?.toLowerCase() === view.mac);
      return {
        ...view,
        guest: {
          source: fact.source,
          addresses: inGuest.flatMap((i) => i.addresses),
          guestName: fact.source === "agent" || fact.source === "qga" ? (inGuest[0]?.name ?? null) : null,
        },
      };
    }),
  };
}

export interface NicSources {
  networks: { name: string; active: boolean }[];
  bridges: string[];
}

/**
 * What a NIC of this VM can connect to: the host's libvirt networks and its bridges, except those
 * a libvirt network owns (virbr0: the network is offered instead, so its ports stay counted).
 * Both serve every VM of the host, so a user whose grants do not cover the host sees none (as on
 * the networks page).
 */
export async function nicSources(vm: ResolvedVm, user: SessionUser): Promise<NicSources> {
  if (!userCoversHost(user, vm.hostId)) return { networks: [], bridges: [] };
  const networks = await listNetworks(vm.host, user);
  const owned = new Set(networks.flatMap((n) => n.bridge ?? []));
  const bridges = await withLibvirtContext(`bridges on ${vm.host.context}`, async () => {
    // Not only the active ones: libvirt's udev backend calls a bridge without ports inactive, and a VM's tap can still join it.
    const { ifaces } = await vm.conn.connectListAllInterfaces({ needResults: 1, flags: 0 });
    // An interface gone between the list and the look-up is simply not offered.
    const names = await Promise.all(ifaces.map((iface) => vm.conn.interfaceGetXmlDesc({ iface, flags: 0 }).then(bridgeNameOf, () => null)));
    return names.filter((n): n is string => n !== null && !owned.has(n)).sort((a, b) => a.localeCompare(b));
  });
  return { networks: networks.map((n) => ({ name: n.name, active: n.active })), bridges };
}

function describeSource(source: NicSource): string {
  return source.kind === "network" ? `network "${source.name}"` : `bridge "${source.name}"`;
}

export async function addNic(vm: ResolvedVm, nic: NewNic): Promise<NicChange> {
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const documents = [xml.live, xml.config].filter((x): x is string => x !== null);
    const before = new Set(documents.flatMap(nicMacs));
    if (nic.mac && before.has(nic.mac)) throw new ServiceError(`${vm.context}: already has a NIC with MAC ${nic.mac}`, "conflict", { field: "mac" });
    await vm.conn.domainAttachDeviceFlags({ dom: vm.dom, xml: buildNicXml(nic), flags: flagsFor(xml.active, xml.persistent) });
    if (nic.mac) return { mac: nic.mac, live: xml.active, persistent: xml.persistent };
    // libvirt chose the MAC (one for both the running VM and the definition): the new one is the one not there before.
    const after = await vmXml(vm);
    const afterXml = after.live ?? after.config;
    const added = afterXml ? nicMacs(afterXml).find((mac) => !before.has(mac)) : undefined;
    if (!added) throw new ServiceError(`${vm.context}: libvirt added the NIC on ${describeSource(nic.source)} but it is not in the VM's XML`, "conflict");
    return { mac: added, live: xml.active, persistent: xml.persistent };
  });
}

export interface NicRemoval extends NicChange {
  /**
   * The guest has not released the card yet (hot-unplug needs its cooperation); it leaves the
   * running VM once the guest does, and the saved definition has already lost it.
   */
  pending: boolean;
}

export async function removeNic(vm: ResolvedVm, mac: string): Promise<NicRemoval> {
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const liveNic = xml.live ? findNicElement(xml.live, mac) : null;
    const configNic = xml.config ? findNicElement(xml.config, mac) : null;
    const nic = liveNic ?? configNic;
    if (!nic) throw new ServiceError(`${vm.context}: has no NIC with MAC ${mac}`, "not_found");
    const live = liveNic !== null;
    const persistent = configNic !== null;
    await vm.conn.domainDetachDeviceFlags({ dom: vm.dom, xml: nicElementXml(nic), flags: flagsFor(live, persistent) });
    // libvirt waits a few seconds for the guest to release the device, then returns anyway.
    const pending = live && nicMacs(await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: 0 })).includes(mac);
    return { mac, live, persistent, pending };
  });
}

/** libvirt's refusal to change this on a running VM (as opposed to a failure to do it): the definition can still change. */
function refusedLive(err: unknown): boolean {
  return err instanceof LibvirtError && (err.code === VIR_ERR_OPERATION_UNSUPPORTED || err.code === VIR_ERR_CONFIG_UNSUPPORTED);
}

/**
 * Changes one NIC in the running VM and in the definition, each from its own element: the two
 * may differ (a source already changed for the next boot), and one update of both would copy the
 * running one's into the definition. With `liveMayRefuse`, a running VM that cannot take the
 * change live gets it at its next boot only.
 */
async function updateNic(
  vm: ResolvedVm,
  mac: string,
  change: (element: XmlNode) => XmlNode,
  { liveMayRefuse }: { liveMayRefuse: boolean },
): Promise<NicChange & { refusedLive: string | null }> {
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const liveNic = xml.live ? findNicElement(xml.live, mac) : null;
    const configNic = xml.config ? findNicElement(xml.config, mac) : null;
    if (!liveNic && !configNic) throw new ServiceError(`${vm.context}: has no NIC with MAC ${mac}`, "not_found");
    let live = false;
    let refusal: string | null = null;
    if (liveNic) {
      try {
        await vm.conn.domainUpdateDeviceFlags({ dom: vm.dom, xml: nicElementXml(change(liveNic)), flags: VIR_DOMAIN_AFFECT_LIVE });
        live = true;
      } catch (err) {
        if (!liveMayRefuse || !configNic || !refusedLive(err)) throw err;
        refusal = (err as LibvirtError).libvirtMessage;
      }
    }
    if (configNic) await vm.conn.domainUpdateDeviceFlags({ dom: vm.dom, xml: nicElementXml(change(configNic)), flags: VIR_DOMAIN_AFFECT_CONFIG });
    return { mac, live, persistent: configNic !== null, refusedLive: refusal };
  });
}

/** Moves a NIC to another network or bridge: live where libvirt can reconnect it, else at the next boot (`refusedLive` says why). */
export function setNicSource(vm: ResolvedVm, mac: string, source: NicSource): Promise<NicChange & { refusedLive: string | null }> {
  return updateNic(vm, mac, (element) => withNicSource(element, source), { liveMayRefuse: true });
}

/** Plugs or pulls the NIC's virtual cable: the guest sees its carrier come or go. */
export function setNicLink(vm: ResolvedVm, mac: string, state: "up" | "down"): Promise<NicChange> {
  return updateNic(vm, mac, (element) => withNicLink(element, state), { liveMayRefuse: false });
}
