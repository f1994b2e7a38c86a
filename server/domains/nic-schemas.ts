import { z } from "zod";

/**
 * How a VM's network card is named and chosen, for the API and the Network tab's form alike.
 * Client-safe (zod only), so the form checks a MAC as the server will.
 */

export const NIC_MODELS = ["virtio", "e1000e"] as const;
export type NicModel = (typeof NIC_MODELS)[number];

/** Six pairs of hex digits, colon-separated, as libvirt writes them. */
export const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Why a MAC cannot be a NIC's, in words; null when it can. libvirt refuses a multicast address (lowest bit of the first octet set). */
export function macProblem(mac: string): string | null {
  if (!MAC_PATTERN.test(mac)) return "Six pairs of hex digits separated by colons, such as 52:54:00:12:34:56.";
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return "A multicast address cannot be a card's: the first pair must be even, such as 52.";
  if (/^(00:){5}00$/.test(mac)) return "All zeros is not an address a card can have.";
  return null;
}

export const macSchema = z
  .string()
  .trim()
  .superRefine((mac, ctx) => {
    const problem = macProblem(mac);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((mac) => mac.toLowerCase());

/** A Linux interface name, as the kernel allows it (15 characters at most). */
export const bridgeNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "a bridge name such as br0 (at most 15 letters, digits, . _ -)");

/** When a change to a card takes effect, from where libvirt made it: the running VM, the saved definition, or both. */
export function appliesWhen(change: { live: boolean; persistent: boolean }, running: boolean): string {
  if (change.live && change.persistent) return "applies now and at every boot";
  if (change.live) return "applies now, until the VM stops (it has no saved definition)";
  return running ? "applies at the next boot" : "applies when the VM next starts";
}
