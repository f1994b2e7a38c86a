"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { FieldErrorsContext, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";

/** A new token, shown once: the server keeps only its hash, so this is the only chance to copy it. */
function OneTimeToken({ name, token, onDismiss }: { name: string; token: string; onDismiss: () => void }) {
  const t = useTranslations("settings.metricsTokens");
  const [copied, setCopied] = useState<boolean | null>(null);
  async function copy() {
    // The clipboard API exists only in secure contexts (HTTPS, or localhost): the text stays selectable for the other cases.
    const ok = await navigator.clipboard?.writeText(token).then(
      () => true,
      () => false,
    );
    setCopied(ok ?? false);
  }
  return (
    <div role="status" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
      <p>{t.rich("createdText", { name, b: (chunks) => <strong>{chunks}</strong> })}</p>
      <p className="font-medium">{t("notShownAgain")}</p>
      <p className="select-all break-all font-mono text-base" data-testid="one-time-token" translate="no">
        {token}
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className="btn btn-primary" onClick={() => void copy()}>
          {t("copy")}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDismiss}>
          {t("dismiss")}
        </button>
        {copied !== null && <span className="text-slate-600 dark:text-slate-400">{copied ? t("copied") : t("copyFailed")}</span>}
      </div>
    </div>
  );
}

/** Admins make a named bearer token per Prometheus scraper, see when each was last used, and revoke them. */
export function MetricsTokens() {
  const t = useTranslations("settings.metricsTokens");
  const f = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const tokens = useQuery(trpc.metricsTokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.metricsTokens.list.queryKey() });
  const create = useMutation(trpc.metricsTokens.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.metricsTokens.revoke.mutationOptions({ onSuccess: refresh }));
  const fields = useMemo(() => ({ name: { id: "metrics-token-name", label: t("name") } }), [t]);
  const errors = useFieldErrors(create.error, fields);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: number; name: string } | null>(null);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const name = String(new FormData(formEl).get("name") ?? "").trim();
    if (!errors.check(name ? {} : { "metrics-token-name": t("nameRequired") })) return;
    create.mutate(
      { name },
      {
        onSuccess: (res) => {
          setCreated({ name: res.name, token: res.token });
          formEl.reset();
        },
      },
    );
  }

  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-400">{t.rich("intro", { code: (chunks) => <code className="font-mono">{chunks}</code> })}</p>
      {created && <OneTimeToken name={created.name} token={created.token} onDismiss={() => setCreated(null)} />}
      <FieldErrorsContext value={errors.byField}>
        <form ref={errors.formRef} onSubmit={onSubmit} method="post" noValidate className="space-y-3">
          <TextField id="metrics-token-name" label={t("name")} hint={t("nameHint")} name="name" autoComplete="off" maxLength={64} />
          <FormStatus error={errors.form} />
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !hydrated}>
            {create.isPending ? t("creating") : t("create")}
          </button>
        </form>
      </FieldErrorsContext>
      {tokens.data && tokens.data.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">{t("none")}</p>}
      {tokens.data && tokens.data.length > 0 && (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label={t("listLabel")}>
          {tokens.data.map((token) => (
            <li key={token.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
              <span className="font-medium" translate="no">
                {token.name}
              </span>
              <span className="text-slate-600 dark:text-slate-400">{t("made", { username: token.createdByName, time: f.dateTime(token.createdAt) })}</span>
              <span className="text-slate-600 dark:text-slate-400">
                {token.lastUsedAt ? t("lastUsed", { time: f.dateTime(token.lastUsedAt) }) : t("neverUsed")}
              </span>
              {token.revokedAt ? (
                <span className="ml-auto rounded bg-slate-200 px-1.5 py-0.5 text-xs dark:bg-slate-800">
                  {t("revokedAt", { time: f.dateTime(token.revokedAt) })}
                </span>
              ) : (
                <button
                  type="button"
                  className="btn btn-secondary ml-auto"
                  disabled={!hydrated || revoke.isPending}
                  onClick={() => setRevoking({ id: token.id, name: token.name })}
                  aria-label={t("revokeLabel", { name: token.name })}
                >
                  {t("revoke")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <FormStatus error={tokens.error?.message ?? null} />
      {revoking && (
        <ConfirmDialog
          title={t("revokeTitle", { name: revoking.name })}
          confirmLabel={t("revokeConfirm")}
          pendingLabel={t("revoking")}
          mutation={revoke}
          onConfirm={() => revoke.mutate({ id: revoking.id }, { onSuccess: () => setRevoking(null) })}
          onCancel={() => setRevoking(null)}
        >
          <p>{t("revokeText", { name: revoking.name })}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
