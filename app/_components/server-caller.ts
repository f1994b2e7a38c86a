import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/context";

/** The tRPC API as the signed-in user, for server components: same permission checks as over HTTP. */
export async function serverApi() {
  const context = await createContext(await headers());
  // Next renders a page alongside its layout, so the layout's redirect does not stop the page's
  // calls: a signed-out visitor's page would end in an UNAUTHORIZED error instead of the login form.
  if (!context.user) redirect("/login");
  return createCaller(context);
}
