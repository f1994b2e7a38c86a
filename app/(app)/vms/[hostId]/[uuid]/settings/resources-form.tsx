"use client";

import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { FieldErrorsContext, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useVmCache } from "@/app/_components/vm-cache";
import { formatBytes } from "@/app/_components/format";
import { memoryMiB, parseSize } from "@/app/_components/sizes";
import type { Vm } from "../use-vm";
import { changeWords } from "./change-words";

const FIELDS: FieldMap = {
  vcpus: { id: "vcpus", label: "vCPUs" },
  maxVcpus: { id: "maxVcpus", label: "Maximum vCPUs" },
  memoryMiB: { id: "memory", label: "Memory", unit: "MiB" },
  maxMemoryMiB: { id: "maxMemory", label: "Maximum memory", unit: "MiB" },
};

const sizeText = (kib: number) => formatBytes(kib * 1024).replace(".0 ", " ");

/**
 * vCPUs and memory: what the VM uses and the most it may have. A running VM takes a new number of
 * vCPUs (hot-plug) or memory (balloon) now, up to the maximums it started with; the maximums
 * apply at its next boot. The notice after saving says which happened for each figure.
 */
export function ResourcesForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const [memoryText, setMemoryText] = useState(() => sizeText(vm.currentMemoryKiB));
  const [maxMemoryText, setMaxMemoryText] = useState(() => sizeText(vm.memoryKiB));
  const save = useMutation(
    trpc.vms.setResources.mutationOptions({
      onSuccess: ({ changes }) => {
        vmCache.reread(vm);
        const refused = changes.filter((c) => c.notLive);
        const summary = changes.length ? changes.map(changeWords).join("; ") : "nothing changed";
        if (refused.length)
          toasts.error(`resources ${vm.hostId}/${vm.uuid}`, `${vm.name}: ${summary}.`, {
            label: "Why not now",
            text: refused.map((c) => c.notLive).join("\n"),
          });
        else toasts.success(`resources ${vm.hostId}/${vm.uuid}`, `${vm.name}: ${summary}.`);
      },
    }),
  );
  const errors = useFieldErrors(save.error, FIELDS);
  const running = vm.state === "running" || vm.state === "paused";

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const count = (k: string) => Number(String(f.get(k) ?? "").trim() || Number.NaN);
    const memory = parseSize(memoryText, "MiB");
    const maxMemory = parseSize(maxMemoryText, "MiB");
    const found: Record<string, string> = {};
    if (!memory.ok) found.memory = `Memory ${memory.problem}.`;
    if (!maxMemory.ok) found.maxMemory = `Maximum memory ${maxMemory.problem}.`;
    if (!errors.check(found) || !memory.ok || !maxMemory.ok) return;
    save.mutate({
      hostId: vm.hostId,
      uuid: vm.uuid,
      vcpus: count("vcpus"),
      maxVcpus: count("maxVcpus"),
      memoryMiB: memoryMiB(memory.bytes).mib,
      maxMemoryMiB: memoryMiB(maxMemory.bytes).mib,
    });
  }

  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {running
          ? `${vm.name} is running: vCPUs and memory change now, up to the maximums it started with (${vm.vcpus} vCPUs, ${formatBytes(vm.memoryKiB * 1024)}); new maximums apply at its next boot.`
          : "Changes apply when the VM next starts."}{" "}
        Memory given back while running needs the guest&apos;s balloon driver.
      </p>
      <FieldErrorsContext value={errors.byField}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField id="vcpus" name="vcpus" label="vCPUs" type="number" min={1} max={256} defaultValue={vm.currentVcpus} disabled={!canEdit} required />
          <TextField
            id="maxVcpus"
            name="maxVcpus"
            label="Maximum vCPUs"
            type="number"
            min={1}
            max={256}
            defaultValue={vm.vcpus}
            disabled={!canEdit}
            hint="How many can be plugged in while it runs."
            required
          />
          <TextField
            id="memory"
            label="Memory"
            value={memoryText}
            onChange={(e) => setMemoryText(e.target.value)}
            disabled={!canEdit}
            hint="e.g. 2 GiB or 512 MiB"
          />
          <TextField
            id="maxMemory"
            label="Maximum memory"
            value={maxMemoryText}
            onChange={(e) => setMaxMemoryText(e.target.value)}
            disabled={!canEdit}
            hint="How far memory can grow while it runs."
          />
        </div>
      </FieldErrorsContext>
      {canEdit && <SubmitRow label="Save vCPUs and memory" pendingLabel="Saving…" pending={save.isPending} error={errors.form} />}
    </form>
  );
}
