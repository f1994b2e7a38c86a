import { cache } from "react";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { roleHas, type Permission } from "@/server/auth/permissions";
import { createCaller } from "@/server/api/root";
import { contextFor } from "@/server/api/context";
import { currentUser } from "@/server/auth/session";

/**
 * The signed-in user of this page render. A layout, its page and the page's API calls all ask;
 * React's `cache` makes them share one answer per request (one cookie decryption, one look-up of
 * the session row) instead of resolving the session three times.
 */
export const pageUser = cache(() => currentUser());

/**
 * The signed-in user, who must hold `permission` to see this page: signed out → the sign-in form;
 * a role without it → the 403 page (app/(app)/forbidden.tsx), in the app's shell. Every page that
 * needs more than being signed in starts with this, so all of them refuse in the same way.
 */
export async function requirePermission(permission: Permission) {
  const user = await pageUser();
  if (!user) redirect("/login");
  if (!roleHas(user.role, permission)) forbidden();
  return user;
}

/** The tRPC API as the signed-in user, for server components: same permission checks as over HTTP. */
export const serverApi = cache(async () => {
  const user = await pageUser();
  // Next renders a page alongside its layout, so the layout's redirect does not stop the page's
  // calls: a signed-out visitor's page would end in an UNAUTHORIZED error instead of the login form.
  if (!user) redirect("/login");
  return createCaller(contextFor(await headers(), user));
});
