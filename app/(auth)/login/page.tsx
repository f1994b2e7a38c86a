import { pageUser } from "@/app/_components/page-session";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { sameOriginPath } from "@/server/auth/safe-redirect";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if (await pageUser()) redirect("/");
  const { callbackUrl } = await searchParams;
  // Only same-site paths: an open redirect after login is a phishing aid.
  const next = sameOriginPath(callbackUrl);
  return (
    <main className="flex min-h-dvh items-center justify-center px-4 py-10">
      <div className="card w-full max-w-sm">
        <h1 className="mb-1 text-xl font-semibold">KVM Manager</h1>
        <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">Sign in to manage this host&apos;s virtual machines.</p>
        <LoginForm next={next} />
      </div>
    </main>
  );
}
