"use client";

import { useMemo, useState } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, FieldErrorsContext, Options, TextField, describedBy } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import type { Vm } from "../use-vm";

const IDS = { name: "template-name", description: "template-description", pool: "template-pool" } as const;

/**
 * "Make template" for admins: a shut-off VM's writable disks are copied into a pool they choose and
 * the VM is left as it was (server/templates/README.md). The copy is a task; once it has started the
 * section links to the task and to the library, where the template turns ready.
 */
export function MakeTemplate({ vm }: { vm: Vm }) {
  const t = useTranslations("templates.make");
  const hydrated = useHydrated();
  const [asking, setAsking] = useState(false);
  const [started, setStarted] = useState<string | null>(null);
  const off = vm.state === "shutoff";
  return (
    <>
      <p className="text-sm">{t("explain")}</p>
      {!off && (
        <p id="make-template-why" className="text-sm text-slate-600 dark:text-slate-400">
          {t("needsShutOff", { name: vm.name })}
        </p>
      )}
      <button
        type="button"
        className="btn btn-secondary"
        disabled={!hydrated || !off}
        aria-describedby={off ? undefined : "make-template-why"}
        onClick={() => {
          setStarted(null);
          setAsking(true);
        }}
      >
        {t("open")}
      </button>
      {started && (
        <div role="status" className="space-y-1 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
          <p>{t("started", { name: started, vm: vm.name })}</p>
          <p className="flex flex-wrap gap-x-4">
            <Link href={`/tasks?${new URLSearchParams({ hostId: vm.hostId, uuid: vm.uuid })}`} className="inline-flex min-h-11 items-center underline">
              {t("taskLink")}
            </Link>
            <Link href="/templates" className="inline-flex min-h-11 items-center underline">
              {t("libraryLink")}
            </Link>
          </p>
        </div>
      )}
      {asking && (
        <MakeTemplateDialog
          vm={vm}
          onCancel={() => setAsking(false)}
          onStarted={(name) => {
            setAsking(false);
            setStarted(name);
          }}
        />
      )}
    </>
  );
}

function MakeTemplateDialog({ vm, onCancel, onStarted }: { vm: Vm; onCancel: () => void; onStarted: (name: string) => void }) {
  const t = useTranslations("templates.make");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pools = useQuery(trpc.storage.pools.queryOptions({ hostId: vm.hostId }));
  const poolNames = (pools.data ?? []).filter((p) => p.active).map((p) => p.name);
  const create = useMutation(
    trpc.templates.create.mutationOptions({
      onSuccess: (_, input) => {
        void queryClient.invalidateQueries({ queryKey: trpc.templates.list.queryKey() });
        onStarted(input.name);
      },
    }),
  );
  const fields: FieldMap = useMemo(
    () => ({
      name: { id: IDS.name, label: t("name") },
      description: { id: IDS.description, label: t("description") },
      pool: { id: IDS.pool, label: t("pool") },
    }),
    [t],
  );
  const errors = useFieldErrors(create.error, fields);
  return (
    <ConfirmDialog
      title={<span className="break-all">{t("title", { name: vm.name })}</span>}
      confirmLabel={t("confirm")}
      pendingLabel={t("pending")}
      danger={false}
      mutation={{ isPending: create.isPending, error: errors.form ? { message: errors.form } : null }}
      ready={poolNames.length > 0}
      onConfirm={(form) =>
        create.mutate({
          hostId: vm.hostId,
          uuid: vm.uuid,
          name: String(form.get("name") ?? "").trim(),
          description: String(form.get("description") ?? ""),
          pool: String(form.get("pool") ?? ""),
        })
      }
      onCancel={onCancel}
    >
      <p>{t("body")}</p>
      <FieldErrorsContext value={errors.byField}>
        <TextField
          id={IDS.name}
          name="name"
          label={t("name")}
          hint={t("nameHint")}
          mono
          required
          maxLength={64}
          defaultValue={`${vm.name}-template`}
          autoComplete="off"
        />
        <Field id={IDS.description} label={t("description")}>
          <textarea
            id={IDS.description}
            name="description"
            rows={2}
            maxLength={500}
            className="input mt-1"
            {...describedBy(IDS.description, false, errors.byField[IDS.description] ?? null)}
          />
        </Field>
        <Field id={IDS.pool} label={t("pool")} hint={pools.isSuccess && poolNames.length === 0 ? t("noPools") : t("poolHint")}>
          {/* Keyed by the list: the default choice is made once the host's pools are known. */}
          <select key={poolNames.join("/")} id={IDS.pool} name="pool" className="input mt-1" {...describedBy(IDS.pool, true, errors.byField[IDS.pool] ?? null)}>
            {pools.isPending && <option value="">{t("poolsLoading")}</option>}
            <Options choices={poolNames} />
          </select>
        </Field>
      </FieldErrorsContext>
      {pools.error && <FormStatus error={pools.error.message} verbatim />}
    </ConfirmDialog>
  );
}
