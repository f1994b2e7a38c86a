"use client";

import { useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";

export function ChangePasswordForm() {
  const t = useTranslations("settings.password");
  const trpc = useTRPC();
  const toasts = useToasts();
  const change = useMutation(trpc.auth.changePassword.mutationOptions());
  const [mismatch, setMismatch] = useState(false);
  const hydrated = useHydrated();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const newPassword = String(form.get("newPassword"));
    setMismatch(newPassword !== String(form.get("confirmPassword")));
    if (newPassword !== String(form.get("confirmPassword"))) return;
    change.mutate(
      { currentPassword: String(form.get("currentPassword")), newPassword },
      {
        onSuccess: () => {
          toasts.success("password", t("changed"));
          formEl.reset();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3">
      <div>
        <label htmlFor="currentPassword" className="mb-1 block text-sm font-medium">
          {t("current")}
        </label>
        <input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required className="input" />
      </div>
      <div>
        <label htmlFor="newPassword" className="mb-1 block text-sm font-medium">
          {t("new")}
        </label>
        <input
          id="newPassword"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
          className="input"
          aria-describedby="newPassword-hint"
        />
        <p id="newPassword-hint" className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {t("hint")}
        </p>
      </div>
      <div>
        <label htmlFor="confirmPassword" className="mb-1 block text-sm font-medium">
          {t("repeat")}
        </label>
        <input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" required className="input" />
      </div>
      <FormStatus error={mismatch ? t("mismatch") : (change.error?.message ?? null)} />
      <button type="submit" className="btn btn-primary" disabled={change.isPending || !hydrated}>
        {change.isPending ? t("saving") : t("submit")}
      </button>
    </form>
  );
}
