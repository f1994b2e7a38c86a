import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not allowed" };

/**
 * What a signed-in user sees (with HTTP 403, inside the app's shell) on a page their role may not
 * open: requirePermission() in app/_components/page-session.ts sends them here.
 */
export default function Forbidden() {
  return (
    <div className="card max-w-lg space-y-3">
      <h1 className="text-2xl font-semibold">Not allowed</h1>
      <p className="text-sm">
        Your role does not let you open this page. If you need it, ask an administrator to change your role; the pages you may use are in the menu.
      </p>
      <Link href="/" className="btn btn-primary">
        Back to the dashboard
      </Link>
    </div>
  );
}
