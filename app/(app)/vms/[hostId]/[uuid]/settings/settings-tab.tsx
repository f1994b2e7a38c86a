"use client";

import { useState, type FormEvent } from "react";
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
import { CPU_MODE_LABEL, type CpuMode } from "@/app/_components/cpu-words";
import { AgentChannels } from "./agent-channels";
import { DeleteVm } from "./delete-vm";

const NAME_FIELDS: FieldMap = { newName: { id: "newName", label: "Name" } };
const DESCRIPTION_FIELDS: FieldMap = { title: { id: "vmTitle", label: "Title" }, description: { id: "vmDescription", label: "Description" } };
const TAG_FIELDS: FieldMap = { tags: { id: "vmTags", label: "Tags" } };

/** Everything about a VM that is changed rather than operated: each form says when its change takes effect. */
export function SettingsTab({ initial, canEdit, canDelete }: { initial: Vm; canEdit: boolean; canDelete: boolean }) {
  const vm = useVm(initial);
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <Section title="Name and description">
        <NameForm vm={vm} canEdit={canEdit} />
        <DescriptionForm vm={vm} canEdit={canEdit} />
      </Section>
      <Section title="vCPUs and memory">
        <ResourcesForm key={`${vm.currentVcpus}/${vm.vcpus}/${vm.currentMemoryKiB}/${vm.memoryKiB}`} vm={vm} canEdit={canEdit} />
      </Section>
      <Section title="Start and tags">
        <AutostartToggle vm={vm} canEdit={canEdit} />
        <TagsForm key={vm.tags.join(",")} vm={vm} canEdit={canEdit} />
      </Section>
      <Section title="Processor and firmware">
        <dl className="grid grid-cols-2 gap-3 text-sm">
          <Fact label="Virtualisation">{vm.domainType === "kvm" ? "KVM" : "emulated (TCG)"}</Fact>
          <Fact label="CPU now">{vm.cpu.mode === "custom" ? (vm.cpu.model ?? "QEMU's default model") : CPU_MODE_LABEL[vm.cpu.mode as CpuMode]}</Fact>
          <Fact label="Firmware">{vm.firmware.toUpperCase()}</Fact>
          <Fact label="Machine type" className="break-all font-mono">
            {vm.machine ?? "—"}
          </Fact>
        </dl>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Firmware and machine type stay as the VM was created: the installed system boots from them.
        </p>
        {canEdit && <ProcessorForm vm={vm} />}
      </Section>
      <Section title="Guest agents">
        <AgentChannels vm={vm} canEdit={canEdit} />
      </Section>
      {canDelete && (
        <Section title="Delete">
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
  const rename = useMutation(
    trpc.vms.rename.mutationOptions({
      onSuccess: (_, input) => {
        vmCache.reread(vm);
        toasts.success(`rename ${vm.hostId}/${vm.uuid}`, `${vm.name} is now called ${input.newName}.`);
      },
    }),
  );
  const errors = useFieldErrors(rename.error, NAME_FIELDS);
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
          label="Name"
          mono
          defaultValue={vm.name}
          disabled={!canEdit || !off}
          autoComplete="off"
          hint={off ? "Letters, digits, dot, dash and underscore. Applies now." : "Shut the VM off to rename it: libvirt renames only a stopped VM."}
        />
      </FieldErrorsContext>
      {canEdit && off && <SubmitRow label="Rename" pendingLabel="Renaming…" pending={rename.isPending} error={errors.form} />}
    </form>
  );
}

function DescriptionForm({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const save = useMutation(
    trpc.vms.setDescription.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`description ${vm.hostId}/${vm.uuid}`, `Title and description of ${vm.name} saved.`);
      },
    }),
  );
  const errors = useFieldErrors(save.error, DESCRIPTION_FIELDS);
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
          label="Title"
          defaultValue={vm.title ?? ""}
          maxLength={200}
          disabled={!canEdit}
          hint="One line, shown under the name."
        />
        <Field id="vmDescription" label="Description" hint="Notes for whoever looks after this VM. Applies now.">
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
      {canEdit && <SubmitRow label="Save title and description" pendingLabel="Saving…" pending={save.isPending} error={errors.form} />}
    </form>
  );
}

function AutostartToggle({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const vmCache = useVmCache();
  const hydrated = useHydrated();
  const set = useMutation(
    trpc.vms.setAutostart.mutationOptions({
      onSuccess: (_, input) => {
        vmCache.reread(vm);
        toasts.success(
          `autostart ${vm.hostId}/${vm.uuid}`,
          input.enabled ? `${vm.name} will start when the host starts.` : `${vm.name} will stay off when the host starts.`,
        );
      },
      onError: (error) => toasts.error(`autostart ${vm.hostId}/${vm.uuid}`, `Changing whether ${vm.name} starts with the host: ${error.message}`),
    }),
  );
  return (
    <CheckboxField
      id="vmAutostart"
      label="Start this VM when the host starts"
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
  const [text, setText] = useState(vm.tags.join(", "));
  const save = useMutation(
    trpc.vms.setTags.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`tags ${vm.hostId}/${vm.uuid}`, `Tags of ${vm.name} saved.`);
      },
    }),
  );
  const errors = useFieldErrors(save.error, TAG_FIELDS);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const tags = text
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    save.mutate({ hostId: vm.hostId, uuid: vm.uuid, tags });
  }
  return (
    <form ref={errors.formRef} onSubmit={onSubmit} className="space-y-3" noValidate>
      <FieldErrorsContext value={errors.byField}>
        <TextField
          id="vmTags"
          label="Tags"
          value={text}
          onChange={(e) => setText(e.target.value)}
          disabled={!canEdit}
          autoComplete="off"
          hint="Separated by commas or spaces; grants and filters use them. Applies now."
        />
      </FieldErrorsContext>
      {canEdit && <SubmitRow label="Save tags" pendingLabel="Saving…" pending={save.isPending} error={errors.form} />}
    </form>
  );
}
