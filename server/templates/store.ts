import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { templates } from "../db/schema";
import { coversHost } from "../auth/permissions";
import { auditTargets } from "../audit/targets";
import { ServiceError } from "../errors";
import { processSingleton } from "../process-shared";
import type { SessionUser } from "../users/service";
import type { TemplateDisk, TemplateInfo, TemplateState } from "./contract";

/** Template rows; the service (service.ts) decides what is written. */

/** A template with its stored definition (never sent to the pages). */
export interface StoredTemplate extends TemplateInfo {
  domainXml: string;
}

/** What a `creating` row left by an earlier process says once it is marked failed. */
export const INTERRUPTED_TEMPLATE_MESSAGE = "The manager stopped while this template's disks were copied";

type Row = typeof templates.$inferSelect;

function rowToTemplate(row: Row): StoredTemplate {
  return {
    id: row.id,
    hostId: row.hostId,
    name: row.name,
    description: row.description,
    sourceVm: row.sourceVm,
    pool: row.pool,
    state: row.state,
    error: row.error,
    vcpus: row.vcpus,
    memoryMiB: row.memoryMiB,
    disks: JSON.parse(row.disks) as TemplateDisk[],
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    taskId: row.taskId,
    domainXml: row.domainXml,
  };
}

/** The wire form: everything but the stored definition. */
export function templateInfo(t: StoredTemplate): TemplateInfo {
  const { domainXml: _xml, ...info } = t;
  return info;
}

const swept = processSingleton("templateLeftoversSwept", () => new Set<string>());

/**
 * Rows left `creating` by an earlier process become `failed` (their task is interrupted too). A
 * `creating` row of this process only exists after this ran for its database file, so it runs once
 * per file per process: at start-up (server/jobs) and before the first read or write here.
 */
export function failLeftoverTemplates(db: Db): number {
  const file = db.$client.name;
  if (swept.has(file)) return 0;
  swept.add(file);
  return db.update(templates).set({ state: "failed", error: INTERRUPTED_TEMPLATE_MESSAGE }).where(eq(templates.state, "creating")).run().changes;
}

export function listTemplateRows(db: Db, user: Pick<SessionUser, "role" | "grants">, hostId?: string): StoredTemplate[] {
  failLeftoverTemplates(db);
  return db
    .select()
    .from(templates)
    .where(hostId ? eq(templates.hostId, hostId) : undefined)
    .orderBy(desc(templates.createdAt), desc(templates.id))
    .all()
    .filter((row) => coversHost(user.role, user.grants, row.hostId))
    .map(rowToTemplate);
}

export function templateById(db: Db, id: string): StoredTemplate | null {
  failLeftoverTemplates(db);
  const row = db.select().from(templates).where(eq(templates.id, id)).get();
  return row ? rowToTemplate(row) : null;
}

/** A template the user may see (grants covering its host); one they may not see answers as missing. */
export function visibleTemplateRow(db: Db, user: Pick<SessionUser, "role" | "grants">, id: string): StoredTemplate {
  const t = templateById(db, id);
  if (!t || !coversHost(user.role, user.grants, t.hostId)) throw new ServiceError(`${auditTargets.templateById(id)}: not found`, "not_found");
  return t;
}

export function templateNameTaken(db: Db, hostId: string, name: string): boolean {
  return (
    db
      .select({ id: templates.id })
      .from(templates)
      .where(and(eq(templates.hostId, hostId), eq(templates.name, name)))
      .get() !== undefined
  );
}

export interface NewTemplate {
  id: string;
  hostId: string;
  name: string;
  description: string;
  sourceVm: string;
  pool: string;
  vcpus: number;
  memoryMiB: number;
  domainXml: string;
  createdByUserId: number;
  createdBy: string;
}

/** Inserts a `creating` row; a name already used on the host is a conflict (the unique index decides, so two at once cannot both win). */
export function insertTemplate(db: Db, t: NewTemplate): void {
  failLeftoverTemplates(db);
  try {
    db.insert(templates)
      .values({ ...t, state: "creating", disks: "[]" })
      .run();
  } catch (err) {
    if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
      throw new ServiceError(`${auditTargets.template(t.hostId, t.name)}: a template with this name already exists`, "conflict", { field: "name", cause: err });
    }
    throw err;
  }
}

export function updateTemplate(
  db: Db,
  id: string,
  set: Partial<{ state: TemplateState; error: string | null; disks: TemplateDisk[]; domainXml: string; taskId: string }>,
): void {
  const { disks, ...rest } = set;
  db.update(templates)
    .set({ ...rest, ...(disks ? { disks: JSON.stringify(disks) } : {}) })
    .where(eq(templates.id, id))
    .run();
}

export function deleteTemplateRow(db: Db, id: string): void {
  db.delete(templates).where(eq(templates.id, id)).run();
}
