"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import type { SmtpInput, SmtpSecurity } from "@/server/notifications/schemas";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { Field, FieldErrorsContext, SubmitRow, TextField } from "@/app/_components/form-fields";
import { describedBy } from "@/app/_components/field-ids";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";

/** Settings → Alert notifications (admins, alert.manage): the SMTP server with a test e-mail, webhooks and e-mail lists. */
export function NotificationSettings() {
  const t = useTranslations("notifications");
  return (
    <div className="space-y-6">
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("intro")}</p>
      <SmtpForm />
      <Channels />
    </div>
  );
}

function smtpFromForm(form: FormData): SmtpInput {
  const text = (name: string) => String(form.get(name) ?? "").trim();
  const password = String(form.get("password") ?? "");
  return {
    host: text("host"),
    port: Number(text("port")),
    security: text("security") as SmtpSecurity,
    user: text("user") || null,
    // Left empty: the stored password stays (the form never receives it).
    ...(password ? { password } : {}),
    from: text("from"),
  };
}

function SmtpForm() {
  const t = useTranslations("notifications.smtp");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const current = useQuery(trpc.notifications.smtp.queryOptions());
  const fields: FieldMap = useMemo(
    () => ({
      host: { id: "smtp-host", label: t("host") },
      port: { id: "smtp-port", label: t("port") },
      security: { id: "smtp-security", label: t("security") },
      user: { id: "smtp-user", label: t("user") },
      password: { id: "smtp-password", label: t("password") },
      from: { id: "smtp-from", label: t("from") },
      to: { id: "smtp-test-to", label: t("testTo") },
    }),
    [t],
  );
  const save = useMutation(
    trpc.notifications.setSmtp.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.notifications.smtp.queryKey(), saved);
        toasts.success("smtp", t("saved"));
      },
    }),
  );
  const test = useMutation(trpc.notifications.testEmail.mutationOptions());
  const errors = useFieldErrors(save.error ?? test.error, fields);
  const [action, setAction] = useState<"save" | "test">("save");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const smtp = smtpFromForm(form);
    save.reset();
    test.reset();
    if (action === "test") test.mutate({ smtp, to: String(form.get("to") ?? "").trim() });
    else save.mutate(smtp);
  }

  if (current.error) return <FormStatus error={current.error.message} verbatim />;
  if (current.isPending) return null;
  const s = current.data;
  const testResult = test.data ? (test.data.ok ? t("testSent") : t("testFailed", { error: test.data.error })) : null;
  return (
    <section aria-labelledby="smtp-heading" className="space-y-3">
      <h3 id="smtp-heading" className="font-semibold">
        {t("heading")}
      </h3>
      <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="space-y-3" data-testid="smtp-form">
        <FieldErrorsContext value={errors.byField}>
          <div key={s ? `${s.host}:${s.port}` : "new"} className="grid grid-cols-1 gap-3 sm:grid-cols-2">
            <TextField id="smtp-host" name="host" label={t("host")} hint={t("hostHint")} defaultValue={s?.host ?? ""} autoComplete="off" mono />
            <TextField id="smtp-port" name="port" label={t("port")} type="number" inputMode="numeric" defaultValue={s?.port ?? 587} />
            <Field id="smtp-security" label={t("security")}>
              <select
                id="smtp-security"
                name="security"
                className="input mt-1"
                defaultValue={s?.security ?? "starttls"}
                {...describedBy("smtp-security", false, null)}
              >
                <option value="none">{t("securityNone")}</option>
                <option value="starttls">{t("securityStarttls")}</option>
                <option value="tls">{t("securityTls")}</option>
              </select>
            </Field>
            <TextField id="smtp-from" name="from" label={t("from")} type="email" defaultValue={s?.from ?? ""} autoComplete="off" />
            <TextField id="smtp-user" name="user" label={t("user")} hint={t("userHint")} defaultValue={s?.user ?? ""} autoComplete="off" />
            <TextField
              id="smtp-password"
              name="password"
              label={t("password")}
              hint={s?.passwordSet ? t("passwordSet") : t("passwordNotSet")}
              type="password"
              autoComplete="new-password"
            />
          </div>
          <SubmitRow label={t("submit")} pendingLabel={t("saving")} pending={save.isPending} error={action === "save" ? errors.form : null} />
          <div className="flex flex-wrap items-end gap-3 border-t border-slate-200 pt-3 dark:border-slate-800">
            <TextField id="smtp-test-to" name="to" label={t("testTo")} type="email" autoComplete="email" className="min-w-56 flex-1" />
            <button type="submit" className="btn btn-secondary" disabled={!hydrated || test.isPending} onClick={() => setAction("test")}>
              {test.isPending ? t("testing") : t("test")}
            </button>
          </div>
          <div data-testid="smtp-test-result">
            <FormStatus
              error={action === "test" ? (test.data && !test.data.ok ? testResult : errors.form) : null}
              success={test.data?.ok ? testResult : null}
            />
          </div>
        </FieldErrorsContext>
      </form>
    </section>
  );
}

function Channels() {
  const t = useTranslations("notifications");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const channels = useQuery(trpc.notifications.channels.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.notifications.channels.queryKey() });
  const remove = useMutation(trpc.notifications.deleteChannel.mutationOptions({ onSuccess: refresh }));
  const [deleting, setDeleting] = useState<{ id: number; name: string } | null>(null);
  const list = channels.data?.channels ?? [];
  const item = (c: (typeof list)[number]) => (
    <li key={c.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm" data-testid="notification-channel">
      <span className="font-medium" translate="no">
        {c.name}
      </span>
      <span className="min-w-0 break-all font-mono text-xs text-slate-600 dark:text-slate-400" translate="no">
        {c.kind === "webhook" ? c.url : c.recipients.join(", ")}
      </span>
      <button
        type="button"
        className="btn btn-secondary ml-auto"
        disabled={!hydrated}
        aria-label={t("deleteLabel", { name: c.name })}
        onClick={() => setDeleting({ id: c.id, name: c.name })}
      >
        {t("delete")}
      </button>
    </li>
  );
  const webhooks = list.filter((c) => c.kind === "webhook");
  const emails = list.filter((c) => c.kind === "email");
  return (
    <>
      <section aria-labelledby="webhooks-heading" className="space-y-3">
        <h3 id="webhooks-heading" className="font-semibold">
          {t("webhooks.heading")}
        </h3>
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("webhooks.intro")}</p>
        {webhooks.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">{t("webhooks.none")}</p>
        ) : (
          <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label={t("webhooks.listLabel")}>
            {webhooks.map(item)}
          </ul>
        )}
        <AddWebhook onAdded={refresh} />
      </section>
      <section aria-labelledby="email-lists-heading" className="space-y-3">
        <h3 id="email-lists-heading" className="font-semibold">
          {t("email.heading")}
        </h3>
        {emails.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">{t("email.none")}</p>
        ) : (
          <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label={t("email.listLabel")}>
            {emails.map(item)}
          </ul>
        )}
        <AddEmailList onAdded={refresh} />
      </section>
      <FormStatus error={channels.error?.message ?? null} verbatim />
      {deleting && (
        <ConfirmDialog
          title={t("deleteTitle", { name: deleting.name })}
          confirmLabel={t("deleteConfirm")}
          pendingLabel={t("deleting")}
          mutation={remove}
          onConfirm={() => remove.mutate({ id: deleting.id }, { onSuccess: () => setDeleting(null) })}
          onCancel={() => setDeleting(null)}
        >
          <p>{t("deleteText", { name: deleting.name })}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function AddWebhook({ onAdded }: { onAdded: () => void }) {
  const t = useTranslations("notifications");
  const trpc = useTRPC();
  const create = useMutation(trpc.notifications.createWebhook.mutationOptions());
  const fields: FieldMap = useMemo(
    () => ({
      name: { id: "webhook-name", label: t("webhooks.name") },
      url: { id: "webhook-url", label: t("webhooks.url") },
      secret: { id: "webhook-secret", label: t("webhooks.secret") },
    }),
    [t],
  );
  const errors = useFieldErrors(create.error, fields);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const input = { name: String(form.get("name") ?? "").trim(), url: String(form.get("url") ?? "").trim(), secret: String(form.get("secret") ?? "") };
    const found: Record<string, string> = {};
    if (!input.name) found["webhook-name"] = t("required");
    if (!input.url) found["webhook-url"] = t("required");
    if (!input.secret) found["webhook-secret"] = t("required");
    if (!errors.check(found)) return;
    create.mutate(input, {
      onSuccess: () => {
        formEl.reset();
        onAdded();
      },
    });
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="space-y-3" data-testid="webhook-form">
      <FieldErrorsContext value={errors.byField}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <TextField id="webhook-name" name="name" label={t("webhooks.name")} autoComplete="off" maxLength={64} />
          <TextField id="webhook-url" name="url" label={t("webhooks.url")} type="url" autoComplete="off" mono />
          <TextField
            id="webhook-secret"
            name="secret"
            label={t("webhooks.secret")}
            hint={t("webhooks.secretHint")}
            type="password"
            autoComplete="new-password"
          />
        </div>
        <SubmitRow label={t("webhooks.add")} pendingLabel={t("webhooks.adding")} pending={create.isPending} error={errors.form} />
      </FieldErrorsContext>
    </form>
  );
}

function AddEmailList({ onAdded }: { onAdded: () => void }) {
  const t = useTranslations("notifications");
  const trpc = useTRPC();
  const create = useMutation(trpc.notifications.createEmailList.mutationOptions());
  const fields: FieldMap = useMemo(
    () => ({ name: { id: "email-list-name", label: t("email.name") }, recipients: { id: "email-list-recipients", label: t("email.recipients") } }),
    [t],
  );
  const errors = useFieldErrors(create.error, fields);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const name = String(form.get("name") ?? "").trim();
    const recipients = String(form.get("recipients") ?? "")
      .split(/[,;\s]+/)
      .filter(Boolean);
    const found: Record<string, string> = {};
    if (!name) found["email-list-name"] = t("required");
    if (recipients.length === 0) found["email-list-recipients"] = t("required");
    if (!errors.check(found)) return;
    create.mutate(
      { name, recipients },
      {
        onSuccess: () => {
          formEl.reset();
          onAdded();
        },
      },
    );
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="space-y-3" data-testid="email-list-form">
      <FieldErrorsContext value={errors.byField}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField id="email-list-name" name="name" label={t("email.name")} autoComplete="off" maxLength={64} />
          <TextField id="email-list-recipients" name="recipients" label={t("email.recipients")} hint={t("email.recipientsHint")} autoComplete="off" />
        </div>
        <SubmitRow label={t("email.add")} pendingLabel={t("email.adding")} pending={create.isPending} error={errors.form} />
      </FieldErrorsContext>
    </form>
  );
}
