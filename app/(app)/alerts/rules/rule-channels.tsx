"use client";

import { useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { CheckboxField } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";

/** Which webhooks and e-mail lists a rule notifies (in-app is always on). For alert.manage only: the list names every channel. */
export function RuleChannels({ ruleId, ruleName }: { ruleId: number; ruleName: string }) {
  const t = useTranslations("notifications.rule");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const channels = useQuery(trpc.notifications.channels.queryOptions());
  const [chosen, setChosen] = useState<number[] | null>(null);
  const save = useMutation(
    trpc.notifications.setRuleChannels.mutationOptions({
      onSuccess: () => {
        setChosen(null);
        toasts.success(`rule-channels ${ruleId}`, t("saved", { rule: ruleName }));
        void queryClient.invalidateQueries({ queryKey: trpc.notifications.channels.queryKey() });
      },
    }),
  );
  if (!channels.data) return null;
  const stored = channels.data.rules[ruleId] ?? [];
  const current = chosen ?? stored;
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate({ ruleId, channelIds: current });
  }
  return (
    <form onSubmit={onSubmit} className="mt-2 border-t border-slate-200 pt-2 dark:border-slate-800" data-testid="rule-channels">
      <fieldset>
        <legend className="text-xs font-medium text-slate-600 dark:text-slate-400">
          {t("legend")}
          <span className="sr-only" translate="no">
            {" "}
            ({ruleName})
          </span>
        </legend>
        {channels.data.channels.length === 0 ? (
          <p className="text-xs text-slate-600 dark:text-slate-400">{t("none")}</p>
        ) : (
          <div className="flex flex-wrap items-center gap-x-4">
            {channels.data.channels.map((c) => (
              <CheckboxField
                key={c.id}
                id={`rule-${ruleId}-channel-${c.id}`}
                label={<span translate="no">{c.name}</span>}
                checked={current.includes(c.id)}
                disabled={!hydrated || save.isPending}
                onChange={(e) => setChosen(e.target.checked ? [...current, c.id] : current.filter((id) => id !== c.id))}
              />
            ))}
            {chosen !== null && (
              <button type="submit" className="btn btn-secondary" disabled={!hydrated || save.isPending}>
                {save.isPending ? t("saving") : t("save")}
              </button>
            )}
          </div>
        )}
      </fieldset>
      <FormStatus error={save.error?.message ?? null} verbatim />
    </form>
  );
}
