import { appRouter, createCaller } from "../root";
import type { Context } from "../trpc";

/** What tests that walk the whole router need to know of each procedure. */
export interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  permission: string | undefined;
}

/** Every procedure of the app's router, so a test covers procedures added later without being edited. */
export function allProcedures(): ProcedureInfo[] {
  const record = appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureInfo["type"]; meta?: { permission?: string } } }>;
  return Object.entries(record).map(([path, proc]) => ({ path, type: proc._def.type, permission: proc._def.meta?.permission }));
}

/** Calls a procedure by its dotted path, as the server-side caller would. */
export function callByPath(context: Context, path: string, input: unknown): Promise<unknown> {
  const caller = createCaller(context) as unknown as Record<string, unknown>;
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  return (fn as (input: unknown) => Promise<unknown>)(input);
}
