/** The states of a template row; its own module (no imports) so server/db/schema.ts and the contract share it. */
export const TEMPLATE_STATES = ["creating", "ready", "failed"] as const;
export type TemplateState = (typeof TEMPLATE_STATES)[number];
