import type { Metadata } from "next";
import { ChangePasswordForm } from "./change-password-form";
import { SessionsList } from "./sessions-list";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <section className="card max-w-lg" aria-labelledby="password-heading">
        <h2 id="password-heading" className="mb-4 text-lg font-semibold">
          Change your password
        </h2>
        <ChangePasswordForm />
      </section>
      <section className="card max-w-lg" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="mb-2 text-lg font-semibold">
          Where you are signed in
        </h2>
        <SessionsList />
      </section>
      <section className="card max-w-lg" aria-labelledby="theme-heading">
        <h2 id="theme-heading" className="mb-2 text-lg font-semibold">
          Appearance
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The theme button in the top bar cycles between following your system, light and dark. The choice is kept in this browser.
        </p>
      </section>
    </div>
  );
}
