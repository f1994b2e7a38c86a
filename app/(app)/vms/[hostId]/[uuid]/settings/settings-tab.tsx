"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation } from "@tanstack/react-query";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { CheckboxField, Field, FieldErrorsContext, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { Fact } from "@/app/_components/fact";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";
import { ResourcesForm } from "./resources-form";
import { ProcessorForm } from "./processor-form";
import { MemoryHotplugSwitch } from "./memory-hotplug";
import { useCpuModeLabel, type CpuMode } from "@/app/_components/cpu-words";
import { AgentChannels } from "./agent-channels";
import { DeleteVm } from "./delete-vm";
import { MakeTemplate } from "./make-template";

/** Everything about a VM that is changed rather than operated: each form says when its change takes effect. */
export function SettingsTab({
  initial,
  canEdit,
  canDelete,
  canMakeTemplate,
}: {
  initial: Vm;
  canEdit: boolean;
  canDelete: boolean;
  /** template.manage: "Make template" (admins). */
  canMakeTemplate: boolean;
}) {
  const tTemplates = useTranslations("templates.make");
  const vm = useVm(initial);
  const t = useTranslations("vmSettings");
  const tVm = useTranslations("vm");
  const cpuModeLabel = useCpuModeLabel();
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <Section title={t("sections.nameDescription")}>
        <NameForm vm={vm} canEdit={canEdit} />
        <DescriptionForm vm={vm} canEdit={canEdit} />
      </Section>
      <Section title={t("sections.resources")}>
        <ResourcesForm key={`${vm.currentVcpus}/${vm.vcpus}/${vm.currentMemoryKiB}/${vm.memoryKiB}`} vm={vm} canEdit={canEdit} />
        <MemoryHotplugSwitch vm={vm} canEdit={canEdit} />
      </Section>
      <Section title={t("sections.startTags")}>
        <AutostartToggle vm={vm} canEdit={canEdit} />
        <TagsForm key={vm.tags.join(",")} vm={vm} canEdit={canEdit} />
      </Section>
      <Section title={t("sections.processor")}>
        <dl className="grid grid-cols-2 gap-3 text-sm">
          <Fact label={t("processor.virtualisation")}>{vm.domainType === "kvm" ? tVm("virtualisation.kvm") : tVm("virtualisation.tcg")}</Fact>
          <Fact label={t("processor.cpuNow")}>
            {vm.cpu.mode !== "custom" ? (
              cpuModeLabel(vm.cpu.mode as CpuMode)
            ) : vm.cpu.model ? (
              <span translate="no">{vm.cpu.model}</span>
            ) : (
              t("processor.qemuDefault")
            )}
          </Fact>
          <Fact label={t("processor.firmware")}>{vm.firmware.toUpperCase()}</Fact>
          <Fact label={t("processor.machineType")} className="break-all font-mono">
            {vm.machine ?? "—"}
          </Fact>
        </dl>
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("processor.fixed")}</p>
        {canEdit && <ProcessorForm vm={vm} />}
      </Section>
      <Section title={t("sections.agents")}>
        <AgentChannels vm={vm} canEdit={canEdit} />
      </Section>
      {canMakeTemplate && (
        <Section title={tTemplates("section")}>
          <MakeTemplate vm={vm} />
        </Section>
      )}
      {canDelete && (
        <Section title={t("sections.delete")}>
          <DeleteVm vm={vm} />
        </Section>
      )}
    </div>
  );
}

function NameForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const t = useTranslations("vmSettings");
  const fields: FieldMap = useMemo(() => ({ newName: { id: "newName", label: t("name.label") } }), [t]);
  const rename = useMutation(
    trpc.vms.rename.mutationOptions({
      onSuccess: (_, input) => {
        vmCache.reread(vm);
        toasts.success(`rename ${vm.hostId}/${vm.uuid}`, t("name.renamed", { name: vm.name, newName: input.newName }));
      },
    }),
  );
  const errors = useFieldErrors(rename.error, fields);
  const off = vm.state === "shutoff";
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rename.mutate({ hostId: vm.hostId, uuid: vm.uuid, newName: String(new FormData(event.currentTarget).get("newName") ?? "").trim() });
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <TextField
          id="newName"
          name="newName"
          label={t("name.label")}
          mono
          defaultValue={vm.name}
          disabled={!canEdit || !off}
          autoComplete="off"
          hint={off ? t("name.hintOff") : t("name.hintRunning")}
        />
      </FieldErrorsContext>
      {canEdit && off && <SubmitRow label={t("name.submit")} pendingLabel={t("name.pending")} pending={rename.isPending} error={errors.form} />}
    </form>
  );
}

function DescriptionForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const t = useTranslations("vmSettings");
  const fields: FieldMap = useMemo(
    () => ({ title: { id: "vmTitle", label: t("description.titleLabel") }, description: { id: "vmDescription", label: t("description.label") } }),
    [t],
  );
  const save = useMutation(
    trpc.vms.setDescription.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`description ${vm.hostId}/${vm.uuid}`, t("description.saved", { name: vm.name }));
      },
    }),
  );
  const errors = useFieldErrors(save.error, fields);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    save.mutate({ hostId: vm.hostId, uuid: vm.uuid, title: String(f.get("title") ?? ""), description: String(f.get("description") ?? "") });
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3 border-t border-slate-200 pt-3 dark:border-slate-700" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <TextField
          id="vmTitle"
          name="title"
          label={t("description.titleLabel")}
          defaultValue={vm.title ?? ""}
          maxLength={200}
          disabled={!canEdit}
          hint={t("description.titleHint")}
        />
        <Field id="vmDescription" label={t("description.label")} hint={t("description.hint")}>
          <textarea
            id="vmDescription"
            name="description"
            rows={4}
            className="input mt-1"
            defaultValue={vm.description ?? ""}
            maxLength={4000}
            disabled={!canEdit}
          />
        </Field>
      </FieldErrorsContext>
      {canEdit && <SubmitRow label={t("description.submit")} pendingLabel={t("saving")} pending={save.isPending} error={errors.form} />}
    </form>
  );
}

function AutostartToggle({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const hydrated = useHydrated();
  const t = useTranslations("vmSettings.autostart");
  const set = useMutation(
    trpc.vms.setAutostart.mutationOptions({
      onSuccess: (_, input) => {
        vmCache.reread(vm);
        toasts.success(`autostart ${vm.hostId}/${vm.uuid}`, input.enabled ? t("on", { name: vm.name }) : t("off", { name: vm.name }));
      },
      onError: (error) => toasts.error(`autostart ${vm.hostId}/${vm.uuid}`, t("failed", { name: vm.name, error: error.message })),
    }),
  );
  return (
    <CheckboxField
      id="vmAutostart"
      label={t("label")}
      checked={set.isPending ? set.variables.enabled : vm.autostart}
      disabled={!canEdit || !hydrated || set.isPending || !vm.persistent}
      onChange={(e) => set.mutate({ hostId: vm.hostId, uuid: vm.uuid, enabled: e.target.checked })}
    />
  );
}

function TagsForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const t = useTranslations("vmSettings");
  const fields: FieldMap = useMemo(() => ({ tags: { id: "vmTags", label: t("tags.label") } }), [t]);
  const [text, setText] = useState(vm.tags.join(", "));
  const save = useMutation(
    trpc.vms.setTags.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`tags ${vm.hostId}/${vm.uuid}`, t("tags.saved", { name: vm.name }));
      },
    }),
  );
  const errors = useFieldErrors(save.error, fields);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const tags = text
      .split(/[\s,]+/)
      .map((tag) => tag.trim())
      .filter(Boolean);
    save.mutate({ hostId: vm.hostId, uuid: vm.uuid, tags });
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <TextField
          id="vmTags"
          label={t("tags.label")}
          value={text}
          onChange={(e) => setText(e.target.value)}
          disabled={!canEdit}
          autoComplete="off"
          hint={t("tags.hint")}
        />
      </FieldErrorsContext>
      {canEdit && <SubmitRow label={t("tags.submit")} pendingLabel={t("saving")} pending={save.isPending} error={errors.form} />}
    </form>
  );
}
