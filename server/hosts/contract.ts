/**
 * The hosts API's words (issue 14 item 1), free of server code so client components can import them.
 * A host is added by a libvirt URI the sysadmin knows — `qemu+ssh://user@host[:port]/system` or
 * `qemu+tls://host[:port]/system` — never by an unauthenticated `qemu+tcp://`. The manager adds the
 * parameters it needs itself (its ssh key, the pinned host key, the TLS files: see service.ts), so the
 * address shown is what was typed.
 */
import { z } from "zod";
import { hostIdSchema } from "../identifiers";

/** How the manager reaches a host: the machine's own libvirtd, or a remote one. */
export const HOST_TRANSPORTS = ["local", "ssh", "tls", "tcp"] as const;
export type HostTransport = (typeof HOST_TRANSPORTS)[number];

/**
 * connected: the connection is open; not answering: open, but libvirtd left a keepalive ping unanswered
 * (a hung daemon or a cut link: its VMs show as last seen); connecting: opening or reconnecting (error:
 * the last failure); unreachable: the last attempt failed and the next one waits; disabled: a sysadmin
 * switched it off.
 */
export const HOST_CONNECTION_STATES = ["connected", "unresponsive", "connecting", "unreachable", "disabled"] as const;
export type HostConnectionState = (typeof HOST_CONNECTION_STATES)[number];

export interface HostConnectionView {
  state: HostConnectionState;
  /** The last failure in plain words (`ssh: connect to host 10.0.0.5 port 22: Connection refused`), or null. */
  error: string | null;
}

export interface HostListItem {
  id: string;
  name: string;
  /** The URI as typed, without the parameters the manager adds (keyfile, known_hosts, pkipath). */
  address: string;
  /** Kept for existing callers: the same as `address`. */
  uri: string;
  transport: HostTransport;
  enabled: boolean;
  /** The `local` host: this machine's libvirtd; it cannot be removed or disabled. */
  local: boolean;
  connection: HostConnectionView;
  /** ssh hosts: the pinned host key's SHA-256 fingerprint (`SHA256:…`); null otherwise. */
  hostKeyFingerprint: string | null;
}

export const HOST_NAME_MAX = 64;
export const hostNameSchema = z
  .string()
  .trim()
  .min(1, "a name is needed")
  .max(HOST_NAME_MAX, `at most ${HOST_NAME_MAX} characters`)
  .regex(/^[^\p{Cc}]+$/u, "no control characters");

/** A PEM file's text: bounded so an upload cannot grow the database (a certificate chain is a few KiB). */
export const PEM_MAX_BYTES = 64 * 1024;
const pemSchema = z.string().min(1, "the file is empty").max(PEM_MAX_BYTES, "larger than 64 KiB: not a certificate or key");

/** The libvirt URI as typed: checked by address.ts (`parseHostAddress`) for the scheme, host and path. */
export const hostAddressSchema = z.string().trim().min(1, "an address is needed").max(512, "at most 512 characters");

/** One host key line as `scanHostKey` returned it (`ssh-ed25519 AAAA…`); the user confirmed its fingerprint. */
export const hostKeyLineSchema = z
  .string()
  .trim()
  .max(16 * 1024)
  .regex(/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+$/, "an ssh host key line");

export const addHostInput = z.discriminatedUnion("transport", [
  z.object({ transport: z.literal("ssh"), name: hostNameSchema, address: hostAddressSchema, hostKey: hostKeyLineSchema }),
  z.object({ transport: z.literal("tls"), name: hostNameSchema, address: hostAddressSchema, caPem: pemSchema, certPem: pemSchema, keyPem: pemSchema }),
]);
export type AddHostInput = z.infer<typeof addHostInput>;

export const scanHostKeyInput = z.object({ address: hostAddressSchema });
export interface ScannedHostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  algorithm: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it: what the sysadmin compares with the host's own. */
  fingerprint: string;
  /** The key line to send back with `add` once the fingerprint is confirmed. */
  hostKey: string;
}

/** The manager's own ssh key (made on first use): its public half goes into the host's `authorized_keys`. */
export interface ManagerSshKey {
  publicKey: string;
  fingerprint: string;
}

export const updateHostInput = z.object({ hostId: hostIdSchema, name: hostNameSchema.optional(), enabled: z.boolean().optional() });

/** Removing needs the host's name typed again: its VMs keep running, but the manager forgets them and their history. */
export const removeHostInput = z.object({ hostId: hostIdSchema, confirmName: z.string().max(HOST_NAME_MAX + 16) });
