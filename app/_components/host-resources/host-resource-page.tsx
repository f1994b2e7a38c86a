import type { ComponentType } from "react";
import { TRPCError } from "@trpc/server";
import { roleHas, type Permission } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "../page-session";
import type { HostItems, HostResourceProps } from "./host-resource-manager";

type Api = Awaited<ReturnType<typeof serverApi>>;

export interface HostResourcePageSpec<T> {
  title: string;
  /** Who sees the page at all; everyone else is told it does not exist. */
  read: Permission;
  /** Who may add, change and delete what it lists. */
  manage: Permission;
  /** One host's list, through the API as the signed-in user. */
  load: (api: Api, hostId: string) => Promise<T[]>;
  /** The client component that shows the lists live (a `HostResourceManager` given the resource's pieces). */
  Manager: ComponentType<HostResourceProps<T>>;
}

/** Every host's list; one unreachable host does not hide the others', it shows its error beside them. */
async function readPerHost<T>(api: Api, load: HostResourcePageSpec<T>["load"]): Promise<HostItems<T>[]> {
  const hosts = await api.hosts.list();
  return Promise.all(
    hosts.map(async ({ id, name }) => {
      const host = { id, name };
      try {
        return { host, items: await load(api, id), error: null };
      } catch (err) {
        return { host, items: null, error: err instanceof TRPCError ? err.message : String(err) };
      }
    }),
  );
}

/** The page of one kind of per-host resource (storage pools, virtual networks): its title, then the manager. */
export function hostResourcePage<T>(spec: HostResourcePageSpec<T>) {
  return async function HostResourcePage() {
    const user = await requirePermission(spec.read);
    const initial = await readPerHost(await serverApi(), spec.load);
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-semibold">{spec.title}</h1>
        <spec.Manager initial={initial} canManage={roleHas(user.role, spec.manage)} />
      </div>
    );
  };
}
