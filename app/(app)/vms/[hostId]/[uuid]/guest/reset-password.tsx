"use client";

import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, describedBy } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import { PASSWORD_MAX_CHARS, passwordFormProblems, type PasswordFormProblems } from "./password-form";

type Via = "agent" | "qga";

/**
 * "Reset password": sets a guest account's password through guest.setPassword (our agent's
 * set_user_password, else qemu-guest-agent), for users with guest.exec. The password lives only in
 * the dialog's state: it is dropped with the dialog and the mutation's record of it after the answer,
 * and the page afterwards names only the account and which agent set it.
 */
export function ResetPassword({ hostId, uuid, name, running, canExec }: { hostId: string; uuid: string; name: string; running: boolean; canExec: boolean }) {
  const t = useTranslations("guestAdmin.password");
  const hydrated = useHydrated();
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<{ user: string; via: Via } | null>(null);
  const why = !canExec ? t("noPermission") : !running ? t("notRunning") : null;
  return (
    <div className="space-y-3 text-sm">
      <p>{t("intro")}</p>
      {why && <p className="text-slate-600 dark:text-slate-400">{why}</p>}
      {done && <FormStatus success={t("done", done)} />}
      {canExec && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!hydrated || !running}
          onClick={() => {
            setDone(null);
            setOpen(true);
          }}
        >
          {t("open")}
        </button>
      )}
      {open && (
        <ResetPasswordDialog
          hostId={hostId}
          uuid={uuid}
          name={name}
          onCancel={() => setOpen(false)}
          onDone={(result) => {
            setOpen(false);
            setDone(result);
          }}
        />
      )}
    </div>
  );
}

function ResetPasswordDialog({
  hostId,
  uuid,
  name,
  onCancel,
  onDone,
}: {
  hostId: string;
  uuid: string;
  name: string;
  onCancel: () => void;
  onDone: (result: { user: string; via: Via }) => void;
}) {
  const t = useTranslations("guestAdmin.password");
  const trpc = useTRPC();
  const ids = useId();
  const status = useQuery(trpc.guest.status.queryOptions({ hostId, uuid }));
  const set = useMutation(trpc.guest.setPassword.mutationOptions());
  const [user, setUser] = useState("root");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [shown, setShown] = useState(false);
  const [problems, setProblems] = useState<PasswordFormProblems>({});
  const [attempt, setAttempt] = useState(0);
  const fields = useRef<HTMLDivElement>(null);
  const id = { user: `${ids}-user`, password: `${ids}-password`, confirm: `${ids}-confirm` };

  // After a refused try, the first field with a message gets the focus (on a phone, the message is then in view).
  useEffect(() => {
    if (attempt === 0) return;
    const first = fields.current?.querySelector<HTMLElement>("[aria-invalid=true]");
    first?.focus();
    first?.scrollIntoView({ block: "center" });
  }, [attempt]);

  const agent = status.data?.agent;
  const via =
    agent?.state === "connected" && agent.info?.capabilities.includes("user.password")
      ? "viaAgent"
      : status.data?.qga.connected
        ? "viaQga"
        : status.data
          ? "viaNone"
          : null;

  function submit() {
    const found = passwordFormProblems({ user, password, confirm });
    setProblems(found);
    setAttempt((n) => n + 1);
    if (Object.keys(found).length > 0) {
      // An earlier refusal by the server is not about what the form now holds.
      set.reset();
      return;
    }
    const account = user.trim();
    set.mutate(
      { hostId, uuid, user: account, password },
      {
        onSuccess: (answer) => {
          // The mutation keeps its variables (the password) until reset: drop them with the dialog.
          set.reset();
          onDone({ user: account, via: answer.via });
        },
      },
    );
  }

  const message = (field: keyof PasswordFormProblems) => {
    const key = problems[field];
    return key ? t(`errors.${key}`, { max: PASSWORD_MAX_CHARS }) : null;
  };
  const type = shown ? "text" : "password";
  return (
    <ConfirmDialog
      title={t("dialogTitle", { name })}
      confirmLabel={t("submit")}
      pendingLabel={t("pending")}
      danger={false}
      mutation={set}
      onConfirm={submit}
      onCancel={onCancel}
    >
      <div ref={fields} className="space-y-3">
        <Field id={id.user} label={t("user")} hint={t("userHint")} error={message("user")}>
          <input
            id={id.user}
            value={user}
            onChange={(e) => setUser(e.target.value)}
            className="input mt-1 font-mono"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...describedBy(id.user, true, message("user"))}
          />
        </Field>
        <Field id={id.password} label={t("password")} error={message("password")}>
          <input
            id={id.password}
            type={type}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className="input mt-1"
            autoComplete="new-password"
            autoCapitalize="none"
            spellCheck={false}
            {...describedBy(id.password, false, message("password"))}
          />
        </Field>
        <Field id={id.confirm} label={t("confirm")} error={message("confirm")}>
          <input
            id={id.confirm}
            type={type}
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            className="input mt-1"
            autoComplete="new-password"
            autoCapitalize="none"
            spellCheck={false}
            {...describedBy(id.confirm, false, message("confirm"))}
          />
        </Field>
        <button type="button" className="btn btn-secondary" aria-pressed={shown} onClick={() => setShown((s) => !s)}>
          {t("show")}
        </button>
        {via && (
          <p className="text-slate-600 dark:text-slate-400" data-via={via}>
            {t(via)}
          </p>
        )}
        <p className="text-xs text-slate-500 dark:text-slate-400">{t("neverShown")}</p>
      </div>
    </ConfirmDialog>
  );
}
