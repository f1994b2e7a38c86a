import { headers } from "next/headers";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/context";

/** The tRPC API as the signed-in user, for server components: same permission checks as over HTTP. */
export async function serverApi() {
  return createCaller(await createContext(await headers()));
}
