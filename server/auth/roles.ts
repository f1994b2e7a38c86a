/** Plain constants, free of database code, so client components can import them too. */
export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const GRANT_KINDS = ["host", "name", "tag"] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];
