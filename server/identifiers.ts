import { z } from "zod";

/**
 * How things are named and addressed, defined once: the API validates with these, the services
 * and the forms read the same patterns. Client-safe (zod only), so forms can check as they type.
 */

/** What a user names: VMs, snapshots, pools, volumes, networks, user accounts. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NAME_HINT = "1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit";
export const nameSchema = z.string().regex(NAME_PATTERN, NAME_HINT);

/** A host row's id: `local`, or what an admin chose when adding the host. */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const hostIdSchema = z.string().regex(HOST_ID_PATTERN, "a host id: lowercase letters, digits and dashes");

/** A VM tag (server/domains/tags.ts), here so client-safe schemas (alert scopes) can check one. */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** A VM is always addressed by host and UUID, never by name alone (names can repeat across hosts, and change). */
export const vmRefSchema = z.object({ hostId: hostIdSchema, uuid: z.uuid() });
export type VmRef = z.infer<typeof vmRefSchema>;
