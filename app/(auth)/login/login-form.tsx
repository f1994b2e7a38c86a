"use client";

import { useState, type FormEvent } from "react";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useHydrated } from "@/app/_components/use-hydrated";

export function LoginForm({ next }: { next: string }) {
  const t = useTranslations("auth");
  // `own`: the server's own words for a refusal, shown as they come.
  const [error, setError] = useState<{ text: string; own: boolean } | null>(null);
  const [pending, setPending] = useState(false);
  const hydrated = useHydrated();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      username: String(form.get("username") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    }).catch(() => null);
    setPending(false);
    if (result?.ok && !result.error) {
      window.location.assign(next);
      return;
    }
    if (result?.status === 429) {
      const retry = Number(result.error?.split(":")[1] ?? "0");
      const minutes = Math.max(1, Math.ceil(retry / 60));
      setError({ text: t("tooManyAttempts", { minutes }), own: false });
      return;
    }
    // Refusals other than a wrong password (busy server, expired form) carry their own plain message.
    const own = result && result.status !== 401 && result.error && result.error !== "CredentialsSignin" ? result.error : null;
    setError(own ? { text: own, own: true } : { text: result ? t("invalid") : t("unreachable"), own: false });
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-4" noValidate>
      <div>
        <label htmlFor="username" className="mb-1 block text-sm font-medium">
          {t("username")}
        </label>
        <input id="username" name="username" autoComplete="username" required autoFocus className="input" />
      </div>
      <div>
        <label htmlFor="password" className="mb-1 block text-sm font-medium">
          {t("password")}
        </label>
        <input id="password" name="password" type="password" autoComplete="current-password" required className="input" />
      </div>
      {error && (
        <p
          role="alert"
          translate={error.own ? "no" : undefined}
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
        >
          {error.text}
        </p>
      )}
      <button type="submit" className="btn btn-primary w-full" disabled={pending || !hydrated}>
        {pending ? t("signingIn") : t("signIn")}
      </button>
    </form>
  );
}
