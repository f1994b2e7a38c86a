"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { GRANT_KINDS, ROLES, type Role } from "@/server/auth/roles";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { describedBy, Field, FieldErrorsContext, Options, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import type { FieldMap } from "@/server/api/error-words";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { useToasts } from "@/app/_components/toasts";
import { formatGrants, parseGrants } from "./grants-text";

/** Shown once, until the admin has handed it over and dismisses it: it is never shown again. */
function OneTimePassword({ username, password, onDismiss }: { username: string; password: string; onDismiss: () => void }) {
  const t = useTranslations("users.oneTime");
  return (
    <div role="status" className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
      <div className="min-w-0 flex-1">
        <p>{t.rich("text", { username, b: (chunks) => <strong>{chunks}</strong> })}</p>
        <p className="mt-1 select-all break-all font-mono text-base" data-testid="one-time-password" translate="no">
          {password}
        </p>
      </div>
      <button type="button" className="btn btn-secondary shrink-0" onClick={onDismiss}>
        {t("dismiss")}
      </button>
    </div>
  );
}

type T = ReturnType<typeof useTranslations<"users">>;

/** The roles as choices, each by its name in the reader's language. */
const roleChoices = (t: T) => ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }));

/** What the grants parser refused, in words: the line and the kinds a grant may be. */
const grantsProblem = (t: T, line: number | null) => (line === null ? null : t("grantsError", { line, kinds: GRANT_KINDS.join(", ") }));

function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
}

/** Where the server's refusals of a new user go. */
function createUserFields(t: T): FieldMap {
  return {
    username: { id: "new-username", label: t("fields.username") },
    role: { id: "new-role", label: t("fields.role") },
    password: { id: "new-password", label: t("fields.password") },
    grants: { id: "new-grants", label: t("fields.grants") },
  };
}

function CreateUserForm() {
  const t = useTranslations("users");
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: invalidate }));
  const toasts = useToasts();
  const fields = useMemo(() => createUserFields(t), [t]);
  const errors = useFieldErrors(create.error, fields);
  const [created, setCreated] = useState<{ username: string; password: string | null } | null>(null);
  const hydrated = useHydrated();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const { grants, errorLine } = parseGrants(String(form.get("grants") ?? ""));
    const error = grantsProblem(t, errorLine);
    if (!errors.check(error ? { "new-grants": error } : {})) return;
    const username = String(form.get("username"));
    const password = String(form.get("password") ?? "");
    create.mutate(
      { username, role: String(form.get("role")) as Role, password: password || undefined, grants },
      {
        onSuccess: (res) => {
          // A generated password is shown once, in a banner that stays until dismissed; otherwise a notice says it is done.
          setCreated(res.generatedPassword ? { username, password: res.generatedPassword } : null);
          if (!res.generatedPassword) toasts.success(`create user`, t("create.created", { username }));
          formEl.reset();
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="create-user-heading">
      <h2 id="create-user-heading" className="mb-4 text-lg font-semibold">
        {t("create.heading")}
      </h2>
      <FieldErrorsContext value={errors.byField}>
        <form ref={errors.formRef} onSubmit={onSubmit} method="post" noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField id="new-username" label={t("create.username")} name="username" required autoComplete="off" />
          <Field id="new-role" label={t("create.role")}>
            <select id="new-role" name="role" defaultValue="viewer" className="input mt-1">
              <Options choices={roleChoices(t)} />
            </select>
          </Field>
          <TextField
            id="new-password"
            label={t("create.password")}
            hint={t("create.passwordHint")}
            name="password"
            type="password"
            autoComplete="new-password"
          />
          <Field id="new-grants" label={t("create.grants")} hint={t("create.grantsHint")}>
            <textarea
              id="new-grants"
              name="grants"
              rows={2}
              className="input mt-1 font-mono"
              placeholder={t("create.grantsPlaceholder")}
              {...describedBy("new-grants", true, errors.byField["new-grants"] ?? null)}
            />
          </Field>
          <div className="space-y-3 sm:col-span-2">
            <FormStatus error={errors.form} />
            {created?.password && <OneTimePassword username={created.username} password={created.password} onDismiss={() => setCreated(null)} />}
            <button type="submit" className="btn btn-primary" disabled={create.isPending || !hydrated}>
              {create.isPending ? t("create.creating") : t("create.submit")}
            </button>
          </div>
        </form>
      </FieldErrorsContext>
    </section>
  );
}

type UserRow = inferRouterOutputs<AppRouter>["users"]["list"][number];

function UserCard({ user, isSelf }: { user: UserRow; isSelf: boolean }) {
  const t = useTranslations("users");
  const f = useFormat();
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const toastKey = `user ${user.id}`;
  const failed = (what: "card.changeFailed" | "card.saveGrantsFailed") => (error: { message: string }) =>
    toasts.error(toastKey, t(what, { username: user.username, error: error.message }));
  const [asking, setAsking] = useState<{ kind: "role"; role: Role } | { kind: "reset" } | { kind: "delete" } | null>(null);
  const [typedName, setTypedName] = useState("");
  const [newPassword, setNewPassword] = useState<string | null>(null);
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: invalidate }));
  const changeRole = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (_, { role }) => {
        void invalidate();
        setAsking(null);
        toasts.success(toastKey, t("card.nowRole", { username: user.username, role: t(`roles.${role ?? user.role}`) }));
      },
    }),
  );
  const toggle = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: invalidate, onError: failed("card.changeFailed") }));
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: ({ generatedPassword }) => {
        setAsking(null);
        setNewPassword(generatedPassword);
      },
    }),
  );
  const remove = useMutation(trpc.users.delete.mutationOptions({ onSuccess: invalidate }));
  const [grantsText, setGrantsText] = useState(formatGrants(user.grants));
  const [grantsError, setGrantsError] = useState<string | null>(null);
  const close = () => {
    setAsking(null);
    setTypedName("");
  };

  function saveGrants() {
    const { grants, errorLine } = parseGrants(grantsText);
    const parseError = grantsProblem(t, errorLine);
    setGrantsError(parseError);
    if (!parseError)
      update.mutate(
        { userId: user.id, grants },
        { onSuccess: () => toasts.success(toastKey, t("card.grantsSaved", { username: user.username })), onError: failed("card.saveGrantsFailed") },
      );
  }

  return (
    <li className="card space-y-3" aria-label={t("card.label", { username: user.username })}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-base font-semibold" translate="no">
          {user.username}
        </span>
        {user.disabled && <span className="rounded bg-slate-200 px-1.5 py-0.5 text-xs dark:bg-slate-800">{t("card.disabled")}</span>}
        {isSelf && <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs dark:bg-sky-900/50">{t("card.you")}</span>}
        <span className="ml-auto text-xs text-slate-500 dark:text-slate-400">{t("card.lastSignIn", { time: f.dateTime(user.lastLoginAt) })}</span>
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field id={`role-${user.id}`} label={t("card.roleOf", { username: user.username })}>
          <select
            id={`role-${user.id}`}
            className="input mt-1"
            // While the change is being asked about, the select shows the role chosen.
            value={asking?.kind === "role" ? asking.role : user.role}
            onChange={(e) => setAsking({ kind: "role", role: e.target.value as Role })}
            disabled={!hydrated || changeRole.isPending}
          >
            <Options choices={roleChoices(t)} />
          </select>
        </Field>
        <Field id={`grants-${user.id}`} label={t("card.grantsOf", { username: user.username })}>
          <textarea id={`grants-${user.id}`} rows={2} className="input mt-1 font-mono" value={grantsText} onChange={(e) => setGrantsText(e.target.value)} />
        </Field>
      </div>
      <FormStatus error={grantsError} />
      {newPassword && <OneTimePassword username={user.username} password={newPassword} onDismiss={() => setNewPassword(null)} />}
      <div className="flex flex-wrap gap-2">
        <button type="button" className="btn btn-secondary" onClick={saveGrants} disabled={!hydrated || update.isPending}>
          {t("card.saveGrants")}
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => setAsking({ kind: "reset" })} disabled={!hydrated || reset.isPending}>
          {t("card.resetPassword")}
        </button>
        {!isSelf && (
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => toggle.mutate({ userId: user.id, disabled: !user.disabled })}
            disabled={!hydrated || toggle.isPending}
          >
            {user.disabled ? t("card.enable") : t("card.disable")}
          </button>
        )}
        {!isSelf && (
          <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsking({ kind: "delete" })}>
            {t("card.delete")}
          </button>
        )}
      </div>
      {asking?.kind === "role" && (
        <ConfirmDialog
          title={t("roleDialog.title", { username: user.username, role: asking.role })}
          confirmLabel={t("roleDialog.confirm", { role: t(`roles.${asking.role}`) })}
          pendingLabel={t("roleDialog.pending")}
          danger={false}
          mutation={changeRole}
          onConfirm={() => changeRole.mutate({ userId: user.id, role: asking.role })}
          onCancel={close}
        >
          <p>
            {t("roleDialog.current", { username: user.username, role: user.role })}{" "}
            {t("roleDialog.may", { role: asking.role, means: t(`roleMeans.${asking.role}`) })}
          </p>
          <p>{t("roleDialog.sessions")}</p>
        </ConfirmDialog>
      )}
      {asking?.kind === "reset" && (
        <ConfirmDialog
          title={t("resetDialog.title", { username: user.username })}
          confirmLabel={t("resetDialog.confirm")}
          pendingLabel={t("resetDialog.pending")}
          mutation={reset}
          onConfirm={() => reset.mutate({ userId: user.id })}
          onCancel={close}
        >
          <p>{t("resetDialog.text")}</p>
        </ConfirmDialog>
      )}
      {asking?.kind === "delete" && (
        <ConfirmDelete
          what={t("deleteDialog.what", { username: user.username })}
          confirmLabel={t("deleteDialog.confirm")}
          mutation={remove}
          ready={typedName === user.username}
          onConfirm={() => remove.mutate({ userId: user.id, confirmUsername: typedName })}
          onCancel={close}
        >
          <p>{t("deleteDialog.text")}</p>
          <TextField
            id={`confirm-delete-${user.id}`}
            label={t("deleteDialog.typeToConfirm", { username: user.username })}
            value={typedName}
            onChange={(e) => setTypedName(e.target.value)}
            autoComplete="off"
          />
        </ConfirmDelete>
      )}
    </li>
  );
}

export function UsersManager({ currentUserId }: { currentUserId: number }) {
  const t = useTranslations("users.list");
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  return (
    <div className="space-y-6">
      <CreateUserForm />
      <section aria-labelledby="user-list-heading" className="space-y-3">
        <h2 id="user-list-heading" className="text-lg font-semibold">
          {t("heading")}
        </h2>
        {users.error && <FormStatus error={users.error.message} />}
        {users.isPending && <p className="text-sm">{t("loading")}</p>}
        <ul className="space-y-3">
          {users.data?.map((u) => (
            <UserCard key={u.id} user={u} isSelf={u.id === currentUserId} />
          ))}
        </ul>
      </section>
    </div>
  );
}
