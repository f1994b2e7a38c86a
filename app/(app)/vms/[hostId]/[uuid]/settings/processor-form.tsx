"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { Field, FieldErrorsContext, Options, SubmitRow } from "@/app/_components/form-fields";
import { describedBy } from "@/app/_components/field-ids";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useVmCache } from "@/app/_components/vm-cache";
import { useCpuModeLabel, type CpuMode } from "@/app/_components/cpu-words";
import type { Vm } from "../use-vm";

/**
 * The VM's processor, from what the host offers the VM's accelerator. QEMU cannot change a running
 * CPU, so the change is saved in the definition and applies when the VM next starts.
 */
export function ProcessorForm({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const t = useTranslations("vmSettings.processor");
  const tSettings = useTranslations("vmSettings");
  const cpuModeLabel = useCpuModeLabel();
  const fields: FieldMap = useMemo(() => ({ "cpu.mode": { id: "cpuMode", label: t("mode") }, "cpu.model": { id: "cpuModel", label: t("model") } }), [t]);
  const options = useQuery(trpc.vms.processorOptions.queryOptions({ hostId: vm.hostId }));
  const offer = options.data?.accelerators.find((a) => a.accelerator === (vm.domainType === "kvm" ? "kvm" : "qemu"));
  const [mode, setMode] = useState<CpuMode>((vm.cpu.mode as CpuMode) ?? "custom");
  const [model, setModel] = useState(vm.cpu.model ?? "");
  const save = useMutation(
    trpc.vms.setCpu.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`cpu ${vm.hostId}/${vm.uuid}`, t("saved", { name: vm.name }));
      },
    }),
  );
  const errors = useFieldErrors(save.error, fields);
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

  if (options.isError)
    return (
      <p className="text-sm text-red-700 dark:text-red-300">
        {t.rich("offerFailed", { error: options.error.message, verbatim: (chunks) => <span translate="no">{chunks}</span> })}
      </p>
    );
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <Field id="cpuMode" label={t("mode")} hint={t("modeHint")}>
          <select
            id="cpuMode"
            className="input mt-1"
            value={mode}
            onChange={(e) => setMode(e.target.value as CpuMode)}
            disabled={!offer}
            {...describedBy("cpuMode", true, null)}
          >
            <Options choices={modes.map((m) => ({ value: m, label: cpuModeLabel(m) }))} />
          </select>
        </Field>
        {mode === "custom" && (
          <Field id="cpuModel" label={t("model")}>
            <select id="cpuModel" className="input mt-1" value={model || models[0] || ""} onChange={(e) => setModel(e.target.value)} disabled={!offer}>
              <Options choices={models} />
            </select>
          </Field>
        )}
      </FieldErrorsContext>
      <SubmitRow label={t("submit")} pendingLabel={tSettings("saving")} pending={save.isPending || !offer} error={errors.form} />
    </form>
  );
}
