import type { ComponentType } from "react";
import { roleHas, type Permission } from "@/server/auth/permissions";
import { acrossHosts } from "@/server/hosts/fan-out";
import { requirePermission, serverApi } from "../page-session";
import { HostFilter } from "../host-filter";
import { hostsShown, parseHostFilter, type SearchParams } from "../host-filter-param";
import type { HostItems, HostOption, HostResourceProps } from "./host-resource-manager";

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

/**
 * The list of every host the filter shows (all enabled hosts, or the one it names), each host asked at
 * once and given KVMM_HOST_TIMEOUT_S: one that fails or does not answer shows its reason beside the
 * others' lists instead of failing or holding up the page. A filtered page asks only its host.
 */
async function readPerHost<T>(api: Api, load: HostResourcePageSpec<T>["load"], hosts: readonly HostOption[]): Promise<HostItems<T>[]> {
  const answers = await acrossHosts(hosts, (host) => load(api, host.id));
  return answers.map((answer, i) => ({
    host: { id: hosts[i]!.id, name: hosts[i]!.name },
    items: answer.ok ? answer.value : null,
    error: answer.ok ? null : answer.error,
  }));
}

/** The page of one kind of per-host resource (storage pools, virtual networks): its title, the host filter, then the manager. */
export function hostResourcePage<T>(spec: HostResourcePageSpec<T>) {
  return async function HostResourcePage({ searchParams }: { searchParams: SearchParams }) {
    const user = await requirePermission(spec.read);
    const api = await serverApi();
    const enabled = (await api.hosts.list()).filter((h) => h.enabled).map(({ id, name }) => ({ id, name }));
    const filter = parseHostFilter(
      (await searchParams).host,
      enabled.map((h) => h.id),
    );
    const initial = await readPerHost(api, spec.load, hostsShown(enabled, filter));
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-semibold">{spec.title}</h1>
        <HostFilter hosts={enabled} filter={filter} />
        <spec.Manager initial={initial} canManage={roleHas(user.role, spec.manage)} />
      </div>
    );
  };
}
