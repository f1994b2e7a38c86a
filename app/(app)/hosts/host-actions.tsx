"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { HostListItem } from "@/server/hosts/contract";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { Field, FieldErrorsContext, Options, SubmitRow, TextField } from "@/app/_components/form-fields";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { migrationTargets } from "./targets";

type Asking = "rename" | "evacuate" | "remove" | null;

function useInvalidateHosts() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
}

function RenameForm({ host, onDone }: { host: HostListItem; onDone: () => void }) {
  const t = useTranslations("hosts");
  const trpc = useTRPC();
  const invalidate = useInvalidateHosts();
  const toasts = useToasts();
  const update = useMutation(trpc.hosts.update.mutationOptions({ onSuccess: invalidate }));
  const id = `host-name-${host.id}`;
  const fields: FieldMap = useMemo(() => ({ name: { id, label: t("rename.label") } }), [id, t]);
  const errors = useFieldErrors(update.error, fields);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "");
    update.mutate(
      { hostId: host.id, name },
      {
        onSuccess: () => {
          toasts.success(`host ${host.id}`, t("rename.done", { name: name.trim() }));
          onDone();
        },
      },
    );
  }
  return (
    <FieldErrorsContext value={errors.byField}>
      <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="flex flex-wrap items-end gap-2">
        <TextField id={id} name="name" label={t("rename.label")} defaultValue={host.name} autoComplete="off" className="min-w-0 flex-1 basis-48" />
        <SubmitRow label={t("rename.save")} pendingLabel={t("rename.saving")} pending={update.isPending} error={errors.form} />
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          {t("rename.cancel")}
        </button>
      </form>
    </FieldErrorsContext>
  );
}

function EvacuateDialog({ host, targets, onDone }: { host: HostListItem; targets: HostListItem[]; onDone: () => void }) {
  const t = useTranslations("hosts.evacuate");
  const trpc = useTRPC();
  const toasts = useToasts();
  const evacuate = useMutation(trpc.migration.evacuate.mutationOptions());
  const [dest, setDest] = useState(targets[0]?.id ?? "");
  const destName = targets.find((h) => h.id === dest)?.name ?? dest;
  return (
    <ConfirmDialog
      title={t("title", { name: host.name })}
      confirmLabel={t("confirm")}
      pendingLabel={t("pending")}
      danger={false}
      mutation={evacuate}
      ready={dest !== ""}
      onConfirm={() =>
        evacuate.mutate(
          { hostId: host.id, destHostId: dest },
          {
            onSuccess: () => {
              toasts.success(`evacuate ${host.id}`, t("started", { name: host.name, dest: destName }));
              onDone();
            },
          },
        )
      }
      onCancel={onDone}
    >
      <p>{t("text", { name: host.name })}</p>
      {targets.length === 0 ? (
        <p role="alert">{t("noTarget")}</p>
      ) : (
        <Field id={`evacuate-dest-${host.id}`} label={t("destination")}>
          <select id={`evacuate-dest-${host.id}`} className="input mt-1" value={dest} onChange={(e) => setDest(e.target.value)}>
            <Options choices={targets.map((h) => ({ value: h.id, label: h.name }))} />
          </select>
        </Field>
      )}
    </ConfirmDialog>
  );
}

function RemoveDialog({ host, onDone }: { host: HostListItem; onDone: () => void }) {
  const t = useTranslations("hosts.remove");
  const trpc = useTRPC();
  const invalidate = useInvalidateHosts();
  const toasts = useToasts();
  const remove = useMutation(trpc.hosts.remove.mutationOptions({ onSuccess: invalidate }));
  const [typed, setTyped] = useState("");
  return (
    <ConfirmDialog
      title={<span className="break-all">{t("title", { name: host.name })}</span>}
      confirmLabel={t("confirm")}
      pendingLabel={t("pending")}
      mutation={remove}
      ready={typed === host.name}
      onConfirm={() =>
        remove.mutate(
          { hostId: host.id, confirmName: typed },
          {
            onSuccess: () => {
              toasts.success(`host ${host.id}`, t("done", { name: host.name }));
              onDone();
            },
          },
        )
      }
      onCancel={onDone}
    >
      <p>{t("text", { name: host.name })}</p>
      <TextField
        id={`remove-host-${host.id}`}
        label={t("typeToConfirm", { name: host.name })}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
    </ConfirmDialog>
  );
}

/** What a sysadmin (host.manage) may do to a host; the server checks each again. The local host is neither disabled nor removed. */
export function HostActions({ host, hosts, canMigrate }: { host: HostListItem; hosts: HostListItem[]; canMigrate: boolean }) {
  const t = useTranslations("hosts");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const invalidate = useInvalidateHosts();
  const toasts = useToasts();
  const toggle = useMutation(
    trpc.hosts.update.mutationOptions({
      onSuccess: invalidate,
      onError: (error) => toasts.error(`host ${host.id}`, t("toggleFailed", { name: host.name, error: error.message })),
    }),
  );
  const [asking, setAsking] = useState<Asking>(null);
  const close = () => setAsking(null);
  if (asking === "rename") return <RenameForm host={host} onDone={close} />;
  return (
    <div className="flex flex-wrap gap-2">
      <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsking("rename")}>
        {t("actions.rename")}
      </button>
      {!host.local && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!hydrated || toggle.isPending}
          onClick={() => toggle.mutate({ hostId: host.id, enabled: !host.enabled })}
        >
          {host.enabled ? t("actions.disable") : t("actions.enable")}
        </button>
      )}
      {canMigrate && host.connection.state === "connected" && (
        <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsking("evacuate")}>
          {t("actions.evacuate")}
        </button>
      )}
      {!host.local && (
        <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsking("remove")}>
          {t("actions.remove")}
        </button>
      )}
      {asking === "evacuate" && <EvacuateDialog host={host} targets={migrationTargets(hosts, host.id)} onDone={close} />}
      {asking === "remove" && <RemoveDialog host={host} onDone={close} />}
    </div>
  );
}
