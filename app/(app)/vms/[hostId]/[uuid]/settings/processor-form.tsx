"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { Field, FieldErrorsContext, Options, SubmitRow } from "@/app/_components/form-fields";
import { describedBy } from "@/app/_components/field-ids";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useVmCache } from "@/app/_components/vm-cache";
import { CPU_MODE_LABEL, type CpuMode } from "@/app/_components/cpu-words";
import type { Vm } from "../use-vm";

const FIELDS: FieldMap = { "cpu.mode": { id: "cpuMode", label: "CPU mode" }, "cpu.model": { id: "cpuModel", label: "CPU model" } };

/**
 * The VM's processor, from what the host offers the VM's accelerator. QEMU cannot change a running
 * CPU, so the change is saved in the definition and applies when the VM next starts.
 */
export function ProcessorForm({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const options = useQuery(trpc.vms.processorOptions.queryOptions({ hostId: vm.hostId }));
  const offer = options.data?.accelerators.find((a) => a.accelerator === (vm.domainType === "kvm" ? "kvm" : "qemu"));
  const [mode, setMode] = useState<CpuMode>((vm.cpu.mode as CpuMode) ?? "custom");
  const [model, setModel] = useState(vm.cpu.model ?? "");
  const save = useMutation(
    trpc.vms.setCpu.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`cpu ${vm.hostId}/${vm.uuid}`, `Processor of ${vm.name} saved: it applies at the VM's next boot.`);
      },
    }),
  );
  const errors = useFieldErrors(save.error, FIELDS);
  const modes = offer
    ? (["host-passthrough", "host-model", "custom"] as const).filter((m) =>
        m === "host-passthrough" ? offer.cpus.hostPassthrough : m === "host-model" ? offer.cpus.hostModel : offer.cpus.models.length > 0,
      )
    : [];
  const models = offer?.cpus.models ?? [];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate({ hostId: vm.hostId, uuid: vm.uuid, cpu: mode === "custom" ? { mode, model: model || models[0] || "" } : { mode } });
  }

  if (options.isError) return <p className="text-sm text-red-700 dark:text-red-300">What this host offers could not be read: {options.error.message}</p>;
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <Field id="cpuMode" label="CPU mode" hint="Applies at the VM's next boot.">
          <select
            id="cpuMode"
            className="input mt-1"
            value={mode}
            onChange={(e) => setMode(e.target.value as CpuMode)}
            disabled={!offer}
            {...describedBy("cpuMode", true, null)}
          >
            <Options choices={modes.map((m) => ({ value: m, label: CPU_MODE_LABEL[m] }))} />
          </select>
        </Field>
        {mode === "custom" && (
          <Field id="cpuModel" label="CPU model">
            <select id="cpuModel" className="input mt-1" value={model || models[0] || ""} onChange={(e) => setModel(e.target.value)} disabled={!offer}>
              <Options choices={models} />
            </select>
          </Field>
        )}
      </FieldErrorsContext>
      <SubmitRow label="Save processor" pendingLabel="Saving…" pending={save.isPending || !offer} error={errors.form} />
    </form>
  );
}
