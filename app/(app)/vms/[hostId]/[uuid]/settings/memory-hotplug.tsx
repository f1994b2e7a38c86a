"use client";

import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { CheckboxField } from "@/app/_components/form-fields";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useFormat } from "@/app/_components/use-format";
import type { Vm } from "../use-vm";

/** The VM's memory hot-plug state, shared by the switch and the resources form (one query, one key). */
export function useMemoryHotplug(vm: Vm) {
  const trpc = useTRPC();
  return useQuery(trpc.vms.memoryHotplug.queryOptions({ hostId: vm.hostId, uuid: vm.uuid }));
}

/** After a change that plugs or folds modules: the switch and its words read the VM again. */
export function useRereadMemoryHotplug(vm: Vm) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: trpc.vms.memoryHotplug.queryKey({ hostId: vm.hostId, uuid: vm.uuid }) });
}

/**
 * Memory hot-plug: whether the VM can take more memory while it runs. QEMU reserves the memory
 * slots when it starts, so the switch changes the next boot; the words say what holds now.
 */
export function MemoryHotplugSwitch({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const f = useFormat();
  const t = useTranslations("vmSettings.memoryHotplug");
  const state = useMemoryHotplug(vm);
  const reread = useRereadMemoryHotplug(vm);
  const set = useMutation(
    trpc.vms.setMemoryHotplug.mutationOptions({
      onSuccess: (_, input) => {
        reread();
        toasts.success(`memory-hotplug ${vm.hostId}/${vm.uuid}`, input.enabled ? t("turnedOn", { name: vm.name }) : t("turnedOff", { name: vm.name }));
      },
    }),
  );
  const next = state.data?.next ?? null;
  const now = state.data?.now ?? null;
  const size = (kib: number | null) => f.bytes((kib ?? 0) * 1024);
  const words = state.isPending
    ? ""
    : !next
      ? t("transient")
      : !next.enabled
        ? t("off")
        : now?.enabled
          ? t("onNow", { name: vm.name, ceiling: size(now.ceilingKiB), free: now.slotsFree })
          : now
            ? t("onNextBoot")
            : t("onStopped", { ceiling: size(next.ceilingKiB) });
  return (
    <div className="space-y-1 border-t border-slate-200 pt-3 dark:border-slate-700">
      <CheckboxField
        id="memoryHotplug"
        label={t("label")}
        checked={set.isPending ? set.variables.enabled : (next?.enabled ?? false)}
        // Not disabled while saving: a disabled control drops the keyboard focus.
        disabled={!canEdit || !hydrated || !next}
        aria-busy={set.isPending}
        aria-describedby="memoryHotplug-words memoryHotplug-error"
        onChange={(e) => {
          if (!set.isPending) set.mutate({ hostId: vm.hostId, uuid: vm.uuid, enabled: e.target.checked });
        }}
      />
      <p id="memoryHotplug-words" className="text-sm text-slate-600 dark:text-slate-400">
        {state.isError ? t("readFailed", { error: state.error.message }) : words}
      </p>
      <p id="memoryHotplug-error" role="alert" className="text-sm text-red-700 empty:hidden dark:text-red-300">
        {set.error?.message}
      </p>
    </div>
  );
}
