import { cache } from "react";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { roleHas, type Permission } from "@/server/auth/permissions";
import { pageUser, serverApi } from "@/app/_components/page-session";

/**
 * The VM of this page render. The tab bar's layout and the tab's page both ask; React's `cache`
 * makes them share one `vms.get` (one libvirt look-up) per request. A VM that does not exist, or
 * that the user's grants do not cover (the API answers both the same), is the 404 page.
 */
export const loadVm = cache(async (hostId: string, uuid: string) => {
  const api = await serverApi();
  return api.vms.get({ hostId, uuid }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
});

/** What the signed-in user may do on a VM page: the UI offers only these; the server checks each call again. */
export async function vmPermissions() {
  const user = await pageUser();
  const can = (p: Permission) => !!user && roleHas(user.role, p);
  return {
    power: can("vm.power"),
    console: can("vm.console"),
    edit: can("vm.edit"),
    delete: can("vm.delete"),
    snapshot: can("vm.snapshot"),
    migrate: can("vm.migrate"),
    guestRead: can("guest.read"),
    guestExec: can("guest.exec"),
    guestFiles: can("guest.files"),
    storageRead: can("storage.read"),
    networkRead: can("network.read"),
    templateManage: can("template.manage"),
  };
}

export type VmPermissions = Awaited<ReturnType<typeof vmPermissions>>;
