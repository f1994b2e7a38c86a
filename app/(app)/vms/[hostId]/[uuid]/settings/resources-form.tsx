"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { FieldErrorsContext, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useVmCache } from "@/app/_components/vm-cache";
import { useFormat } from "@/app/_components/use-format";
import { memoryMiB, parseSize, sizeProblemWords } from "@/app/_components/sizes";
import type { Vm } from "../use-vm";
import { changeWords, guestWords } from "./change-words";
import { useMemoryHotplug, useRereadMemoryHotplug } from "./memory-hotplug";

/**
 * A size for a field to start with, as f.bytes shows it but without thousands separators, so that
 * parseSize reads it back whichever decimal mark the locale uses: "512 MiB", "1.5 GiB" / "1,5 GiB".
 */
function sizeText(kib: number, locale: string): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = kib;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: value >= 10 ? 0 : 1, useGrouping: false }).format(value)} ${units[unit]}`;
}

/**
 * vCPUs and memory: what the VM uses and the most it may have. A running VM takes a new number of
 * vCPUs (hot-plug) or memory (balloon) now, up to the maximums it started with; the maximums
 * apply at its next boot. The notice after saving says which happened for each figure.
 */
export function ResourcesForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const t = useTranslations("vmSettings");
  const tErrors = useTranslations("errors");
  const f = useFormat();
  const fields: FieldMap = useMemo(
    () => ({
      vcpus: { id: "vcpus", label: t("resources.vcpus") },
      maxVcpus: { id: "maxVcpus", label: t("resources.maxVcpus") },
      memoryMiB: { id: "memory", label: t("resources.memory"), unit: "MiB" },
      maxMemoryMiB: { id: "maxMemory", label: t("resources.maxMemory"), unit: "MiB" },
    }),
    [t],
  );
  const hotplug = useMemoryHotplug(vm).data?.now ?? null;
  const rereadHotplug = useRereadMemoryHotplug(vm);
  const [memoryText, setMemoryText] = useState(() => sizeText(vm.currentMemoryKiB, f.locale));
  const [maxMemoryText, setMaxMemoryText] = useState(() => sizeText(vm.memoryKiB, f.locale));
  const save = useMutation(
    trpc.vms.setResources.mutationOptions({
      onSuccess: (result) => {
        const { changes } = result;
        vmCache.reread(vm);
        const refused = changes.filter((c) => c.notLive);
        const parts = changes.length ? changes.map((c) => changeWords(c, t, f.locale)) : [t("resources.nothingChanged")];
        if (result.memoryAdded) {
          const { sizeKiB, askedKiB } = result.memoryAdded;
          parts.push(t("resources.moduleAdded", { size: f.bytes(sizeKiB * 1024), rounded: String(sizeKiB > askedKiB) }));
          rereadHotplug();
        }
        // After plugging vCPUs or memory in, the server asked our guest agent to bring them online (server/guest/hotplug.ts).
        const guest = "guest" in result ? result.guest : null;
        if (guest) parts.push(...guestWords(guest, Boolean(result.memoryAdded), t));
        const notice = t("resources.notice", { name: vm.name, summary: parts.join("; ") });
        if (refused.length)
          toasts.error(`resources ${vm.hostId}/${vm.uuid}`, notice, {
            label: t("resources.whyNotNow"),
            text: refused.map((c) => c.notLive).join("\n"),
          });
        else if (guest && guest.state !== "online")
          toasts.error(`resources ${vm.hostId}/${vm.uuid}`, notice, { label: t("resources.whyNotOnline"), text: guest.reason });
        else toasts.success(`resources ${vm.hostId}/${vm.uuid}`, notice);
      },
    }),
  );
  const errors = useFieldErrors(save.error, fields);
  const running = vm.state === "running" || vm.state === "paused";

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const count = (k: string) => Number(String(f.get(k) ?? "").trim() || Number.NaN);
    const memory = parseSize(memoryText, "MiB");
    const maxMemory = parseSize(maxMemoryText, "MiB");
    const found: Record<string, string> = {};
    if (!memory.ok) found.memory = sizeProblemWords(tErrors, t("resources.memory"), memory.issue);
    if (!maxMemory.ok) found.maxMemory = sizeProblemWords(tErrors, t("resources.maxMemory"), maxMemory.issue);
    if (!errors.check(found) || !memory.ok || !maxMemory.ok) return;
    const memoryAsked = memoryMiB(memory.bytes).mib;
    // A module plugged in raises the maximum with it: more memory alone is what a running hot-plug VM is asked for.
    const maxAsked = running && hotplug?.enabled ? Math.max(memoryAsked, memoryMiB(maxMemory.bytes).mib) : memoryMiB(maxMemory.bytes).mib;
    save.mutate({ hostId: vm.hostId, uuid: vm.uuid, vcpus: count("vcpus"), maxVcpus: count("maxVcpus"), memoryMiB: memoryAsked, maxMemoryMiB: maxAsked });
  }

  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {running ? t("resources.running", { name: vm.name, vcpus: vm.vcpus, memory: f.bytes(vm.memoryKiB * 1024) }) : t("resources.stopped")}{" "}
        {running && hotplug?.enabled ? t("resources.hotplugNow", { ceiling: f.bytes((hotplug.ceilingKiB ?? 0) * 1024) }) : null} {t("resources.balloon")}
      </p>
      <FieldErrorsContext value={errors.byField}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField
            id="vcpus"
            name="vcpus"
            label={t("resources.vcpus")}
            type="number"
            min={1}
            max={256}
            defaultValue={vm.currentVcpus}
            disabled={!canEdit}
            required
          />
          <TextField
            id="maxVcpus"
            name="maxVcpus"
            label={t("resources.maxVcpus")}
            type="number"
            min={1}
            max={256}
            defaultValue={vm.vcpus}
            disabled={!canEdit}
            hint={t("resources.maxVcpusHint")}
            required
          />
          <TextField
            id="memory"
            label={t("resources.memory")}
            value={memoryText}
            onChange={(e) => setMemoryText(e.target.value)}
            disabled={!canEdit}
            hint={t("resources.memoryHint")}
          />
          <TextField
            id="maxMemory"
            label={t("resources.maxMemory")}
            value={maxMemoryText}
            onChange={(e) => setMaxMemoryText(e.target.value)}
            disabled={!canEdit}
            hint={t("resources.maxMemoryHint")}
          />
        </div>
      </FieldErrorsContext>
      {canEdit && <SubmitRow label={t("resources.submit")} pendingLabel={t("saving")} pending={save.isPending} error={errors.form} />}
    </form>
  );
}
