"use client";

import { useMemo, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { FieldErrorsContext, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";

/**
 * How long the metrics history keeps each resolution (server/metrics/retention.ts). The bounds are
 * the server's; the form checks only the order between the three here, to say it in the page's language.
 */
export function RetentionForm() {
  const t = useTranslations("settings.retention");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const current = useQuery(trpc.metrics.retention.queryOptions());
  const fields: FieldMap = useMemo(
    () => ({
      rawHours: { id: "retention-raw", label: t("rawHours") },
      minuteDays: { id: "retention-minute", label: t("minuteDays") },
      hourDays: { id: "retention-hour", label: t("hourDays") },
    }),
    [t],
  );
  const save = useMutation(
    trpc.metrics.setRetention.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.metrics.retention.queryKey(), saved);
        toasts.success("metrics-retention", t("saved"));
      },
    }),
  );
  const errors = useFieldErrors(save.error, fields);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // An empty field is sent as null, which the server names as missing.
    const value = (name: string) => {
      const text = String(form.get(name) ?? "").trim();
      return (text === "" ? null : Number(text)) as number;
    };
    const input = { rawHours: value("rawHours"), minuteDays: value("minuteDays"), hourDays: value("hourDays") };
    const found: Record<string, string> = {};
    if (Number.isFinite(input.rawHours) && Number.isFinite(input.minuteDays) && input.minuteDays * 24 < input.rawHours)
      found["retention-minute"] = t("minuteShorter");
    if (Number.isFinite(input.minuteDays) && Number.isFinite(input.hourDays) && input.hourDays < input.minuteDays) found["retention-hour"] = t("hourShorter");
    if (!errors.check(found)) return;
    save.mutate(input);
  }

  if (current.error) return <p className="text-sm text-red-700 dark:text-red-300">{current.error.message}</p>;
  if (!current.data) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("loading")}</p>;
  const r = current.data;
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="retention-current">
        {t("current", { rawHours: r.rawHours, minuteDays: r.minuteDays, hourDays: r.hourDays })}
      </p>
      <FieldErrorsContext value={errors.byField}>
        {/* Keyed by the stored values, so the fields show what was saved after a save or a reload. */}
        <div key={`${r.rawHours}/${r.minuteDays}/${r.hourDays}`} className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <TextField
            id="retention-raw"
            name="rawHours"
            label={t("rawHours")}
            hint={t("rawHoursHint")}
            type="number"
            inputMode="numeric"
            defaultValue={r.rawHours}
          />
          <TextField
            id="retention-minute"
            name="minuteDays"
            label={t("minuteDays")}
            hint={t("minuteDaysHint")}
            type="number"
            inputMode="numeric"
            defaultValue={r.minuteDays}
          />
          <TextField
            id="retention-hour"
            name="hourDays"
            label={t("hourDays")}
            hint={t("hourDaysHint")}
            type="number"
            inputMode="numeric"
            defaultValue={r.hourDays}
          />
        </div>
      </FieldErrorsContext>
      <SubmitRow label={t("submit")} pendingLabel={t("saving")} pending={save.isPending} error={errors.form} />
    </form>
  );
}
