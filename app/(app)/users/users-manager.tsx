"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { ROLES, type Role } from "@/server/auth/roles";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { formatDateTime } from "@/app/_components/format";
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
  return (
    <div role="status" className="flex items-start gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
      <div className="min-w-0 flex-1">
        <p>
          Password for <strong>{username}</strong> (shown once — hand it over now):
        </p>
        <p className="mt-1 select-all break-all font-mono text-base" data-testid="one-time-password">
          {password}
        </p>
      </div>
      <button type="button" className="btn btn-secondary shrink-0" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

const withArticle = (role: Role) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;

const ROLE_MEANS: Record<Role, string> = {
  admin: "everything, including users and hosts",
  operator: "power, consoles, snapshots and guest commands on the VMs their grants cover; no users or hosts",
  viewer: "read only",
};

function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
}

/** Where the server's refusals of a new user go. */
const CREATE_USER_FIELDS: FieldMap = {
  username: { id: "new-username", label: "Username" },
  role: { id: "new-role", label: "Role" },
  password: { id: "new-password", label: "Initial password" },
  grants: { id: "new-grants", label: "VM grants" },
};

function CreateUserForm() {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: invalidate }));
  const toasts = useToasts();
  const errors = useFieldErrors(create.error, CREATE_USER_FIELDS);
  const [created, setCreated] = useState<{ username: string; password: string | null } | null>(null);
  const hydrated = useHydrated();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const { grants, error } = parseGrants(String(form.get("grants") ?? ""));
    if (!errors.check(error ? { "new-grants": error } : {})) return;
    const username = String(form.get("username"));
    const password = String(form.get("password") ?? "");
    create.mutate(
      { username, role: String(form.get("role")) as Role, password: password || undefined, grants },
      {
        onSuccess: (res) => {
          // A generated password is shown once, in a banner that stays until dismissed; otherwise a notice says it is done.
          setCreated(res.generatedPassword ? { username, password: res.generatedPassword } : null);
          if (!res.generatedPassword) toasts.success(`create user`, `User ${username} created.`);
          formEl.reset();
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="create-user-heading">
      <h2 id="create-user-heading" className="mb-4 text-lg font-semibold">
        Add a user
      </h2>
      <FieldErrorsContext value={errors.byField}>
        <form ref={errors.formRef} onSubmit={onSubmit} method="post" noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField id="new-username" label="New username" name="username" required autoComplete="off" />
          <Field id="new-role" label="Role">
            <select id="new-role" name="role" defaultValue="viewer" className="input mt-1">
              <Options choices={ROLES} />
            </select>
          </Field>
          <TextField
            id="new-password"
            label="Initial password"
            hint="Leave empty to generate one."
            name="password"
            type="password"
            autoComplete="new-password"
          />
          <Field id="new-grants" label="VM grants" hint="One per line: host:ID, name:GLOB or tag:TAG. Empty = all VMs.">
            <textarea
              id="new-grants"
              name="grants"
              rows={2}
              className="input mt-1 font-mono"
              placeholder="name:web-*"
              {...describedBy("new-grants", true, errors.byField["new-grants"] ?? null)}
            />
          </Field>
          <div className="space-y-3 sm:col-span-2">
            <FormStatus error={errors.form} />
            {created?.password && <OneTimePassword username={created.username} password={created.password} onDismiss={() => setCreated(null)} />}
            <button type="submit" className="btn btn-primary" disabled={create.isPending || !hydrated}>
              {create.isPending ? "Creating…" : "Create user"}
            </button>
          </div>
        </form>
      </FieldErrorsContext>
    </section>
  );
}

type UserRow = inferRouterOutputs<AppRouter>["users"]["list"][number];

function UserCard({ user, isSelf }: { user: UserRow; isSelf: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const toastKey = `user ${user.id}`;
  const failed = (what: string) => (error: { message: string }) => toasts.error(toastKey, `${what} ${user.username}: ${error.message}`);
  const [asking, setAsking] = useState<{ kind: "role"; role: Role } | { kind: "reset" } | { kind: "delete" } | null>(null);
  const [typedName, setTypedName] = useState("");
  const [newPassword, setNewPassword] = useState<string | null>(null);
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: invalidate }));
  const changeRole = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (_, { role }) => {
        void invalidate();
        setAsking(null);
        toasts.success(toastKey, `${user.username} is now ${role}.`);
      },
    }),
  );
  const toggle = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: invalidate, onError: failed("Changing") }));
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
    const { grants, error: parseError } = parseGrants(grantsText);
    setGrantsError(parseError);
    if (!parseError)
      update.mutate(
        { userId: user.id, grants },
        { onSuccess: () => toasts.success(toastKey, `Grants of ${user.username} saved.`), onError: failed("Saving grants of") },
      );
  }

  return (
    <li className="card space-y-3" aria-label={`User ${user.username}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-base font-semibold">{user.username}</span>
        {user.disabled && <span className="rounded bg-slate-200 px-1.5 py-0.5 text-xs dark:bg-slate-800">disabled</span>}
        {isSelf && <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs dark:bg-sky-900/50">you</span>}
        <span className="ml-auto text-xs text-slate-500 dark:text-slate-400">last sign-in {formatDateTime(user.lastLoginAt)}</span>
      </div>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field id={`role-${user.id}`} label={`Role of ${user.username}`}>
          <select
            id={`role-${user.id}`}
            className="input mt-1"
            // While the change is being asked about, the select shows the role chosen.
            value={asking?.kind === "role" ? asking.role : user.role}
            onChange={(e) => setAsking({ kind: "role", role: e.target.value as Role })}
            disabled={!hydrated || changeRole.isPending}
          >
            <Options choices={ROLES} />
          </select>
        </Field>
        <Field id={`grants-${user.id}`} label={`Grants of ${user.username}`}>
          <textarea id={`grants-${user.id}`} rows={2} className="input mt-1 font-mono" value={grantsText} onChange={(e) => setGrantsText(e.target.value)} />
        </Field>
      </div>
      <FormStatus error={grantsError} />
      {newPassword && <OneTimePassword username={user.username} password={newPassword} onDismiss={() => setNewPassword(null)} />}
      <div className="flex flex-wrap gap-2">
        <button type="button" className="btn btn-secondary" onClick={saveGrants} disabled={!hydrated || update.isPending}>
          Save grants
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => setAsking({ kind: "reset" })} disabled={!hydrated || reset.isPending}>
          Reset password…
        </button>
        {!isSelf && (
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => toggle.mutate({ userId: user.id, disabled: !user.disabled })}
            disabled={!hydrated || toggle.isPending}
          >
            {user.disabled ? "Enable" : "Disable"}
          </button>
        )}
        {!isSelf && (
          <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsking({ kind: "delete" })}>
            Delete…
          </button>
        )}
      </div>
      {asking?.kind === "role" && (
        <ConfirmDialog
          title={`Make ${user.username} ${withArticle(asking.role)}?`}
          confirmLabel={`Make ${asking.role}`}
          pendingLabel="Changing…"
          danger={false}
          mutation={changeRole}
          onConfirm={() => changeRole.mutate({ userId: user.id, role: asking.role })}
          onCancel={close}
        >
          <p>
            {user.username} is {withArticle(user.role)} now. {asking.role[0]!.toUpperCase() + asking.role.slice(1)}s may do {ROLE_MEANS[asking.role]}.
          </p>
          <p>Their open sessions end, so they sign in again.</p>
        </ConfirmDialog>
      )}
      {asking?.kind === "reset" && (
        <ConfirmDialog
          title={`Reset the password of ${user.username}?`}
          confirmLabel="Reset password"
          pendingLabel="Resetting…"
          mutation={reset}
          onConfirm={() => reset.mutate({ userId: user.id })}
          onCancel={close}
        >
          <p>A new password is generated and shown to you once. The current one stops working and their open sessions end.</p>
        </ConfirmDialog>
      )}
      {asking?.kind === "delete" && (
        <ConfirmDelete
          what={`user ${user.username}`}
          confirmLabel="Yes, delete this user"
          mutation={remove}
          ready={typedName === user.username}
          onConfirm={() => remove.mutate({ userId: user.id, confirmUsername: typedName })}
          onCancel={close}
        >
          <p>Its sessions end at once. What it did stays in the audit log under this name.</p>
          <TextField
            id={`confirm-delete-${user.id}`}
            label={`Type ${user.username} to confirm`}
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
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  return (
    <div className="space-y-6">
      <CreateUserForm />
      <section aria-labelledby="user-list-heading" className="space-y-3">
        <h2 id="user-list-heading" className="text-lg font-semibold">
          Accounts
        </h2>
        {users.error && <FormStatus error={users.error.message} />}
        {users.isPending && <p className="text-sm">Loading…</p>}
        <ul className="space-y-3">
          {users.data?.map((u) => (
            <UserCard key={u.id} user={u} isSelf={u.id === currentUserId} />
          ))}
        </ul>
      </section>
    </div>
  );
}
