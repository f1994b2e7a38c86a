"use client";

import { useState, type FormEvent } from "react";
import { signIn } from "next-auth/react";
import { useHydrated } from "@/app/_components/use-hydrated";

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
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
      setError(`Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
      return;
    }
    // Refusals other than a wrong password (busy server, expired form) carry their own plain message.
    const own = result && result.status !== 401 && result.error && result.error !== "CredentialsSignin" ? result.error : null;
    setError(own ?? (result ? "Invalid username or password" : "The server could not be reached. Try again."));
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-4" noValidate>
      <div>
        <label htmlFor="username" className="mb-1 block text-sm font-medium">
          Username
        </label>
        <input id="username" name="username" autoComplete="username" required autoFocus className="input" />
      </div>
      <div>
        <label htmlFor="password" className="mb-1 block text-sm font-medium">
          Password
        </label>
        <input id="password" name="password" type="password" autoComplete="current-password" required className="input" />
      </div>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary w-full" disabled={pending || !hydrated}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
