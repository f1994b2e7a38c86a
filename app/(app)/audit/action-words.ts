import type { useTranslations } from "next-intl";
import type { Messages } from "@/server/i18n/messages";
import { ACTION_AREAS } from "@/server/audit/actions";

/** The audit page's words (its catalog namespace): what the page, its filters and its action names are written with. */
export type AuditT = ReturnType<typeof useTranslations<"audit">>;

type ActionKey = keyof Messages["audit"]["actions"];
type Area = keyof Messages["audit"]["areas"];

/** An action path's catalog key: next-intl keys cannot hold dots, so "vms.power" is "vms_power". */
export const actionKey = (action: string) => action.replace(/\./g, "_");

/** The areas an action path starts with, in the order the action choices group them. */
export const AREAS = Object.keys(ACTION_AREAS) as Area[];

const isArea = (area: string): area is Area => (AREAS as string[]).includes(area);

/** An area's name ("Storage"), or the area itself when the catalog lacks it. */
export function areaWords(t: AuditT, area: string): string {
  return isArea(area) ? t(`areas.${area}`) : area;
}

/**
 * An audited action in the reader's words: from the catalog, else from its path ("storage.uploadVolume"
 * → "Storage: upload volume"), so an action added after the catalog still reads as words.
 */
export function actionWords(t: AuditT, action: string): string {
  const key = `actions.${actionKey(action)}` as `actions.${ActionKey}`;
  if (t.has(key)) return t(key);
  const [area = "", ...rest] = action.split(".");
  const verb = rest
    .join(" ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  const words = areaWords(t, area);
  return verb ? t("actionFallback", { area: words, verb }) : words || action;
}
