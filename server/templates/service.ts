/* eslint-disable @typescript-eslint/no-unused-vars -- contract branch only */
// CONTRACT BRANCH ONLY: the signatures the router and the pages are written against. The
// templates-server helper replaces this file with the implementation; it never lands as it is.
import type { z } from "zod";
import type { Db } from "@/server/db/client";
import type { ResolvedHost } from "@/server/hosts/connection";
import type { ResolvedVm } from "@/server/domains/lookup";
import type { SessionUser } from "@/server/users/service";
import type { createTemplateInput, deployTemplateInput, TemplateDetail, TemplateInfo } from "./contract";

type Actor = SessionUser;

const unbuilt = (): never => {
  throw new Error("server/templates/service.ts: contract branch");
};

export function listTemplates(db: Db, user: Actor, hostId?: string): TemplateInfo[] {
  return unbuilt();
}
export function visibleTemplate(db: Db, user: Actor, id: string): TemplateInfo {
  return unbuilt();
}
export async function templateDetail(db: Db, template: TemplateInfo): Promise<TemplateDetail> {
  return unbuilt();
}
export function createTemplate(
  db: Db,
  vm: ResolvedVm,
  input: z.infer<typeof createTemplateInput>,
  user: Actor,
): { templateId: string; taskId: string; done: Promise<TemplateInfo> } {
  return unbuilt();
}
export async function deployTemplate(
  db: Db,
  host: ResolvedHost,
  template: TemplateInfo,
  input: z.infer<typeof deployTemplateInput>,
  user: Actor,
): Promise<{ uuid: string; name: string; taskId: string }> {
  return unbuilt();
}
export async function deleteTemplate(db: Db, host: ResolvedHost, template: TemplateInfo): Promise<void> {
  return unbuilt();
}
