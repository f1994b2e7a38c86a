"use client";

import type { FormEvent, ReactNode } from "react";
import type { UseMutationResult } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { CheckboxField, Field, FieldErrorsContext, Options, SubmitRow } from "../form-fields";
import { useFieldErrors } from "../use-field-errors";
import { useToasts } from "../toasts";
import type { ErrorLike, FieldMap } from "@/server/api/error-words";
import type { HostOption } from "./host-resource-manager";

/** Hosts as select choices, named as people know them with the id beside. */
export function hostChoices(hosts: readonly HostOption[]) {
  return hosts.map((h) => ({ value: h.id, label: `${h.name} (${h.id})` }));
}

/** The host an add form chose: its select when there are several hosts, else the only one. */
function chosenHostId(form: FormData, hosts: readonly HostOption[]): string {
  return String(form.get("hostId") ?? "").trim() || hosts[0]?.id || "local";
}

/** What every add form sends besides the resource's own fields. */
export interface AddCommon {
  hostId: string;
  start: boolean;
  autostart: boolean;
}

/**
 * The frame of every "add a pool / network" form: the host (asked only when there are several),
 * the resource's own fields, start now and at boot (both ticked: most are wanted running), and
 * the submit row with the server's refusal. A success is a notice naming what was made, and clears the form.
 */
export function AddResourceForm<I, R extends { name: string }, E extends ErrorLike, C>({
  noun,
  idPrefix,
  hosts,
  mutation,
  input,
  onCreated,
  fields,
  children,
}: {
  /** What is added, "pool" or "network": the catalog words the button and notice for it (common.hostResources). */
  noun: string;
  idPrefix: string;
  hosts: readonly HostOption[];
  mutation: UseMutationResult<R, E, I, C>;
  /** The mutation's input from the form's fields. */
  input: (form: FormData, common: AddCommon) => I;
  /** Resets what the form holds outside its fields. */
  onCreated?: () => void;
  /**
   * Where the server's refusals go (input path → control): each shows next to its field, in words,
   * and the form leaves checking to the server. Without it the server's message shows in the submit row.
   */
  fields?: FieldMap;
  children: ReactNode;
}) {
  const t = useTranslations("common.hostResources");
  const toasts = useToasts();
  const errors = useFieldErrors(mutation.error, fields ?? {});

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const common = { hostId: chosenHostId(form, hosts), start: form.get("start") === "on", autostart: form.get("autostart") === "on" };
    errors.check({});
    mutation.mutate(input(form, common), {
      onSuccess: (made) => {
        toasts.success(`create ${noun}`, t("created", { noun, name: made.name }));
        formEl.reset();
        onCreated?.();
      },
    });
  }

  return (
    <FieldErrorsContext value={fields ? errors.byField : {}}>
      <form ref={errors.formRef} onSubmit={onSubmit} method="post" noValidate={!!fields} className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        {hosts.length > 1 && (
          <Field id={`${idPrefix}-host`} label={t("host")}>
            <select id={`${idPrefix}-host`} name="hostId" className="input mt-1" defaultValue={hosts[0]?.id}>
              <Options choices={hostChoices(hosts)} />
            </select>
          </Field>
        )}
        {children}
        <div className="flex flex-wrap gap-x-6 gap-y-2 sm:col-span-2">
          <CheckboxField id={`${idPrefix}-start`} name="start" label={t("startNow")} defaultChecked />
          <CheckboxField id={`${idPrefix}-autostart`} name="autostart" label={t("startAtBoot")} defaultChecked />
        </div>
        <SubmitRow
          className="sm:col-span-2"
          label={t("create", { noun })}
          pendingLabel={t("creating")}
          pending={mutation.isPending}
          error={fields ? errors.form : (mutation.error?.message ?? null)}
        />
      </form>
    </FieldErrorsContext>
  );
}
