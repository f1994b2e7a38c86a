import { coversHost, vmInScope, type Grant } from "@/server/auth/permissions";
import type { Role } from "@/server/auth/roles";
import type { ExposedTick } from "./exposition";
import type { MetricsTick, VmSample } from "./sample";

/**
 * The ticks as a signed-in user may read them on `/metrics`: the VMs their grants match, as on the
 * VM list, and a host's own figures (usage, pools, up) only when their grants cover the whole host,
 * as for the host's other shared resources. A scraper's token reads everything (an admin made it).
 * `tagsOf` is asked only when the user has tag grants (it costs a libvirt call per VM).
 */
export async function ticksVisibleTo(
  user: { role: Role; grants: readonly Grant[] },
  ticks: readonly MetricsTick[],
  tagsOf: (vm: VmSample) => Promise<string[]>,
): Promise<ExposedTick[]> {
  const needsTags = user.role !== "admin" && user.grants.some((g) => g.kind === "tag");
  const out: ExposedTick[] = [];
  for (const tick of ticks) {
    const vms: VmSample[] = [];
    for (const vm of tick.vms) {
      // Tags that cannot be read match no tag grant: the VM is left out rather than shown by mistake.
      const tags = needsTags ? await tagsOf(vm).catch(() => []) : [];
      if (vmInScope(user.role, user.grants, { hostId: vm.hostId, name: vm.name, tags })) vms.push(vm);
    }
    out.push({ host: coversHost(user.role, user.grants, tick.host.hostId) ? tick.host : null, vms });
  }
  return out;
}
