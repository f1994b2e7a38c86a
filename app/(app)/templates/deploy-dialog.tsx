"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { FieldMap } from "@/server/api/error-words";
import type { DeployMode, TemplateInfo } from "@/server/templates/contract";
import { useTRPC } from "@/app/_components/trpc";
import { useToasts } from "@/app/_components/toasts";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { CheckboxField, Field, FieldErrorsContext, Options, TextField, describedBy } from "@/app/_components/form-fields";
import { checkUserData, isWordedCode, type UserDataProblem } from "./user-data";

/** The dialog's controls, by id: where the server's field errors and the dialog's own findings are shown. */
const IDS = {
  name: "deploy-name",
  mode: "deploy-mode",
  pool: "deploy-pool",
  hostname: "deploy-ci-hostname",
  username: "deploy-ci-user",
  password: "deploy-ci-password",
  passwordHash: "deploy-ci-hash",
  keys: "deploy-ci-keys",
  userData: "deploy-ci-user-data",
} as const;

function useUserDataWords() {
  const t = useTranslations("templates.deploy.userData");
  return (problem: UserDataProblem): string => {
    if (problem.kind === "notMapping") return t(`notMapping.${problem.found}`);
    const what = isWordedCode(problem.code) ? t(`codes.${problem.code}`) : problem.detail;
    return t("syntax", { line: problem.line, column: problem.column, what });
  };
}

/**
 * Deploy from a template: the new VM's name, a linked clone or a full copy, the pool, whether to
 * start it, and optionally cloud-init (hostname, first user, password or its hash, SSH keys, and a
 * #cloud-config document checked as YAML here before it is sent). The server's refusals are shown
 * next to their fields; when the VM is defined the user is taken to its page. `userDataMaxChars` is
 * the contract's USER_DATA_MAX_CHARS, handed down by the page: contract.ts reaches server-only
 * modules (libvirt) through its schemas, so client code imports only its types.
 */
export function DeployDialog({ template, userDataMaxChars, onCancel }: { template: TemplateInfo; userDataMaxChars: number; onCancel: () => void }) {
  const t = useTranslations("templates.deploy");
  const trpc = useTRPC();
  const router = useRouter();
  const toasts = useToasts();
  const userDataWords = useUserDataWords();
  const pools = useQuery(trpc.storage.pools.queryOptions({ hostId: template.hostId }));
  const poolNames = (pools.data ?? []).filter((p) => p.active).map((p) => p.name);
  // The template's own pool until the user chooses (when it is active), else the first active one.
  const [chosenPool, setPool] = useState<string | null>(null);
  const pool = chosenPool ?? (poolNames.includes(template.pool) ? template.pool : (poolNames[0] ?? ""));
  const [mode, setMode] = useState<DeployMode>("linked");
  const [cloudInit, setCloudInit] = useState(false);
  const deploy = useMutation(
    trpc.templates.deploy.mutationOptions({
      onSuccess: (vm) => {
        toasts.success(`deploy ${template.id}`, t("done", { name: vm.name, template: template.name }));
        // Straight to the tab: the VM's bare address redirects there, a second navigation.
        router.push(`/vms/${encodeURIComponent(template.hostId)}/${vm.uuid}/overview`);
      },
    }),
  );
  const fields: FieldMap = useMemo(
    () => ({
      name: { id: IDS.name, label: t("name") },
      mode: { id: IDS.mode, label: t("mode.label") },
      pool: { id: IDS.pool, label: t("pool") },
      "cloudInit.hostname": { id: IDS.hostname, label: t("cloudInit.hostname") },
      "cloudInit.username": { id: IDS.username, label: t("cloudInit.username") },
      "cloudInit.password": { id: IDS.password, label: t("cloudInit.password") },
      "cloudInit.passwordHash": { id: IDS.passwordHash, label: t("cloudInit.passwordHash") },
      "cloudInit.sshAuthorizedKeys": { id: IDS.keys, label: t("cloudInit.keys") },
      "cloudInit.userData": { id: IDS.userData, label: t("cloudInit.userData") },
    }),
    [t],
  );
  const errors = useFieldErrors(deploy.error, fields);
  // The dialog owns its form, so the first field with a message is brought into view here (on a phone it may be far down).
  const body = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const first = body.current?.querySelector<HTMLElement>("[data-field-error]");
    if (!first) return;
    first.scrollIntoView({ block: "center" });
    first.querySelector<HTMLElement>("input, select, textarea")?.focus({ preventScroll: true });
  }, [errors.byField]);

  function onConfirm(form: FormData) {
    const text = (k: string) => String(form.get(k) ?? "").trim();
    const found: Record<string, string> = {};
    const userData = String(form.get("userData") ?? "");
    if (cloudInit) {
      const problem = checkUserData(userData);
      if (problem) found[IDS.userData] = userDataWords(problem);
      if (text("password") && text("passwordHash")) found[IDS.passwordHash] = t("cloudInit.passwordAndHash");
    }
    if (!errors.check(found)) return;
    deploy.mutate({
      id: template.id,
      name: text("name"),
      mode,
      pool,
      start: form.get("start") === "on",
      cloudInit: cloudInit
        ? {
            hostname: text("hostname") || undefined,
            username: text("username") || "admin",
            password: text("password") || undefined,
            passwordHash: text("passwordHash") || undefined,
            sshAuthorizedKeys: text("keys")
              .split("\n")
              .map((k) => k.trim())
              .filter(Boolean),
            userData,
          }
        : undefined,
    });
  }

  return (
    <ConfirmDialog
      title={<span className="break-all">{t("title", { name: template.name })}</span>}
      confirmLabel={t("confirm")}
      pendingLabel={t("pending")}
      danger={false}
      mutation={{ isPending: deploy.isPending, error: errors.form ? { message: errors.form } : null }}
      ready={pools.isSuccess && poolNames.length > 0}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <FieldErrorsContext value={errors.byField}>
        <div ref={body} className="space-y-3">
          <TextField id={IDS.name} name="name" label={t("name")} hint={t("nameHint")} mono required maxLength={64} autoComplete="off" />
          <fieldset className="space-y-1" id={IDS.mode} data-field-error={errors.byField[IDS.mode] ? "" : undefined}>
            <legend className="text-sm">{t("mode.label")}</legend>
            {(["linked", "full"] as const).map((m) => (
              <label key={m} className="flex min-h-11 items-start gap-3 py-1.5 text-sm">
                <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} className="mt-0.5 size-5 shrink-0" />
                <span>
                  <span className="font-medium">{t(`mode.${m}`)}</span>
                  <span className="block text-xs text-slate-600 dark:text-slate-400">{t(`mode.${m}Explain`)}</span>
                </span>
              </label>
            ))}
            {errors.byField[IDS.mode] && <span className="block text-xs font-medium text-red-700 dark:text-red-300">{errors.byField[IDS.mode]}</span>}
          </fieldset>
          <Field id={IDS.pool} label={t("pool")} hint={pools.isSuccess && poolNames.length === 0 ? t("noPools") : t("poolHint")}>
            <select
              id={IDS.pool}
              name="pool"
              className="input mt-1"
              value={pool}
              onChange={(e) => setPool(e.target.value)}
              {...describedBy(IDS.pool, true, errors.byField[IDS.pool] ?? null)}
            >
              {pools.isPending && <option value="">{t("poolsLoading")}</option>}
              <Options choices={poolNames} />
            </select>
          </Field>
          <CheckboxField id="deploy-start" name="start" label={t("start")} />
          <CheckboxField id="deploy-cloud-init" label={t("cloudInit.toggle")} checked={cloudInit} onChange={(e) => setCloudInit(e.target.checked)} />
          {cloudInit && (
            <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
              <legend className="px-1 text-sm font-medium">{t("cloudInit.legend")}</legend>
              <p className="text-xs text-slate-600 dark:text-slate-400">{t("cloudInit.explain")}</p>
              <TextField id={IDS.hostname} name="hostname" label={t("cloudInit.hostname")} hint={t("cloudInit.hostnameHint")} mono autoComplete="off" />
              <TextField id={IDS.username} name="username" label={t("cloudInit.username")} mono defaultValue="admin" autoComplete="off" />
              <TextField
                id={IDS.password}
                name="password"
                type="password"
                label={t("cloudInit.password")}
                hint={t("cloudInit.passwordHint")}
                autoComplete="new-password"
              />
              <TextField
                id={IDS.passwordHash}
                name="passwordHash"
                label={t("cloudInit.passwordHash")}
                hint={t("cloudInit.passwordHashHint")}
                mono
                autoComplete="off"
              />
              <Field id={IDS.keys} label={t("cloudInit.keys")} hint={t("cloudInit.keysHint")}>
                <textarea
                  id={IDS.keys}
                  name="keys"
                  rows={3}
                  spellCheck={false}
                  className="input mt-1 font-mono text-xs"
                  {...describedBy(IDS.keys, true, errors.byField[IDS.keys] ?? null)}
                />
              </Field>
              <Field id={IDS.userData} label={t("cloudInit.userData")} hint={t("cloudInit.userDataHint")}>
                <textarea
                  id={IDS.userData}
                  name="userData"
                  rows={8}
                  maxLength={userDataMaxChars}
                  spellCheck={false}
                  autoCapitalize="off"
                  autoCorrect="off"
                  wrap="off"
                  translate="no"
                  defaultValue={"#cloud-config\n"}
                  className="input mt-1 whitespace-pre font-mono text-xs"
                  {...describedBy(IDS.userData, true, errors.byField[IDS.userData] ?? null)}
                />
              </Field>
            </fieldset>
          )}
        </div>
      </FieldErrorsContext>
    </ConfirmDialog>
  );
}
