import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { ScheduleLink } from "./schedules-manager";

/** "Schedules: nightly (Snapshot), …" on a VM's overview: the schedules that cover it by its UUID, its host or a tag. */
export async function VmScheduleLine({ hostId, uuid }: { hostId: string; uuid: string }) {
  const user = await pageUser();
  if (!user || !roleHas(user.role, "schedule.read")) return null;
  const t = await getTranslations("schedules");
  const schedules = await (await serverApi()).schedules.forVm({ hostId, uuid });
  return (
    <p className="card flex flex-wrap items-center gap-x-2 text-sm" data-testid="vm-schedules">
      <span className="font-medium">{t("vmLine.label")}:</span>
      {schedules.length === 0 ? (
        <span>{t("vmLine.none")}</span>
      ) : (
        schedules.map((s, i) => (
          <span key={s.id}>
            <ScheduleLink id={s.id}>{t("vmLine.item", { name: s.name, action: t(`actions.${s.action}`) })}</ScheduleLink>
            {i < schedules.length - 1 && ","}
          </span>
        ))
      )}
    </p>
  );
}
