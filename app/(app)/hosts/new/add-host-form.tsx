"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { ScannedHostKey } from "@/server/hosts/contract";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC, useTRPCClient } from "@/app/_components/trpc";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { CheckboxField, errorId, FieldErrorsContext, SubmitRow, TextField, useFieldError } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";

type Transport = "ssh" | "tls";
type T = ReturnType<typeof useTranslations<"hosts.add">>;

const ID = {
  name: "add-host-name",
  address: "add-host-address",
  hostKey: "add-host-key-confirm",
  ca: "add-host-ca",
  cert: "add-host-cert",
  key: "add-host-client-key",
} as const;

/** Where the server's refusals go: the input's paths (addHostInput, scanHostKeyInput) to the controls. */
function addHostFields(t: T): FieldMap {
  return {
    name: { id: ID.name, label: t("name") },
    address: { id: ID.address, label: t("address") },
    hostKey: { id: ID.hostKey, label: t("ssh.confirm") },
    caPem: { id: ID.ca, label: t("tls.ca") },
    certPem: { id: ID.cert, label: t("tls.cert") },
    keyPem: { id: ID.key, label: t("tls.key") },
  };
}

/** The manager's public key, to copy into the host's authorized_keys. */
function ManagerKey() {
  const t = useTranslations("hosts.add.ssh");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const key = useQuery(trpc.hosts.sshPublicKey.queryOptions());
  const [copied, setCopied] = useState(false);
  if (key.error) return <FormStatus error={key.error.message} verbatim />;
  const line = key.data?.publicKey ?? "";
  return (
    <div className="space-y-2 text-sm">
      <p>{t("keyIntro")}</p>
      <pre
        className="overflow-x-auto rounded-md bg-slate-100 p-2 font-mono text-xs whitespace-pre-wrap break-all dark:bg-slate-800"
        data-testid="manager-public-key"
        translate="no"
      >
        {key.isPending ? t("keyLoading") : line}
      </pre>
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!hydrated || !line}
          onClick={() => void navigator.clipboard.writeText(line).then(() => setCopied(true))}
        >
          {t("copy")}
        </button>
        {copied && <span role="status">{t("copied")}</span>}
      </div>
      <p>{t.rich("keyHow", { file: (chunks) => <code className="font-mono text-xs">{chunks}</code> })}</p>
    </div>
  );
}

/** A file input's text, read in the browser: PEM files are a few KiB; the server checks what they hold. */
async function fileText(form: FormData, name: string): Promise<string> {
  const file = form.get(name);
  return file instanceof File && file.size > 0 ? file.text() : "";
}

/**
 * Adding a host. ssh: the manager's key goes into the host's authorized_keys, the host key is
 * scanned and its fingerprint confirmed by the sysadmin before it is pinned. TLS: the CA, client
 * certificate and key are read here and sent with the address. Errors are shown beside their field.
 */
export function AddHostForm() {
  const t = useTranslations("hosts.add");
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [transport, setTransport] = useState<Transport>("ssh");
  const [address, setAddress] = useState("");
  const [scanned, setScanned] = useState<(ScannedHostKey & { address: string }) | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const scan = useMutation({
    mutationFn: (input: { address: string }) => client.hosts.scanHostKey.query(input),
    onSuccess: (key, input) => {
      setScanned({ ...key, address: input.address });
      setConfirmed(false);
    },
  });
  const add = useMutation(trpc.hosts.add.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() }) }));
  const fields = useMemo(() => addHostFields(t), [t]);
  const errors = useFieldErrors(add.error ?? scan.error, fields);
  // A key scanned for another address is not this one's.
  const key = scanned?.address === address.trim() ? scanned : null;
  // The scan's refusal that names no field is said beside the button that asked; the add's, beside Add.
  const scanProblem = scan.error ? errors.form : null;

  function checkHostKey() {
    add.reset();
    if (errors.check(address.trim() ? {} : { [ID.address]: t("addressNeeded") })) scan.mutate({ address: address.trim() });
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    scan.reset();
    const form = new FormData(event.currentTarget);
    const name = String(form.get("name") ?? "");
    const done = {
      onSuccess: () => {
        toasts.success("add host", t("added", { name: name.trim() }));
        router.push("/hosts");
      },
    };
    if (transport === "ssh") {
      if (!key || !confirmed) {
        errors.check({ [ID.hostKey]: key ? t("ssh.confirmFirst") : t("ssh.checkFirst") });
        return;
      }
      errors.check({});
      add.mutate({ transport, name, address, hostKey: key.hostKey }, done);
      return;
    }
    const [caPem, certPem, keyPem] = await Promise.all([fileText(form, "ca"), fileText(form, "cert"), fileText(form, "key")]);
    const missing = Object.fromEntries(
      [
        [ID.ca, caPem],
        [ID.cert, certPem],
        [ID.key, keyPem],
      ]
        .filter(([, text]) => !text)
        .map(([id]) => [id, t("tls.fileNeeded")]),
    );
    if (errors.check(missing)) add.mutate({ transport, name, address, caPem, certPem, keyPem }, done);
  }

  return (
    <FieldErrorsContext value={errors.byField}>
      <form ref={errors.formRef} onSubmit={(e) => void onSubmit(e)} noValidate className="card space-y-4">
        <fieldset className="space-y-1 text-sm">
          <legend className="font-medium">{t("transport")}</legend>
          <div className="flex flex-wrap gap-x-6">
            {(["ssh", "tls"] as const).map((value) => (
              <label key={value} className="flex min-h-11 items-center gap-2">
                <input type="radio" name="transport" value={value} checked={transport === value} onChange={() => setTransport(value)} className="size-5" />
                {t(`transports.${value}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <TextField id={ID.name} name="name" label={t("name")} hint={t("nameHint")} autoComplete="off" required />
        {transport === "ssh" && <ManagerKey />}
        <TextField
          id={ID.address}
          name="address"
          label={t("address")}
          hint={transport === "ssh" ? t("ssh.addressHint") : t("tls.addressHint")}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          inputMode="url"
          mono
          required
        />
        {transport === "ssh" ? (
          <HostKeyCheck scanned={key} confirmed={confirmed} onConfirm={setConfirmed} pending={scan.isPending} onCheck={checkHostKey} problem={scanProblem} />
        ) : (
          <TlsFiles />
        )}
        <SubmitRow label={t("submit")} pendingLabel={t("adding")} pending={add.isPending} error={scan.error ? null : errors.form} />
      </form>
    </FieldErrorsContext>
  );
}

/**
 * "Check host key", then the key's algorithm and fingerprint and the box saying it matches the
 * host's own. What the scan could not do, and a key not yet checked or confirmed, is said here.
 */
function HostKeyCheck({
  scanned,
  confirmed,
  onConfirm,
  pending,
  onCheck,
  problem,
}: {
  scanned: ScannedHostKey | null;
  confirmed: boolean;
  onConfirm: (on: boolean) => void;
  pending: boolean;
  onCheck: () => void;
  /** The scan's refusal that names no field. */
  problem: string | null;
}) {
  const t = useTranslations("hosts.add.ssh");
  const hydrated = useHydrated();
  const message = useFieldError(ID.hostKey, problem);
  return (
    <section className="space-y-2 text-sm" aria-labelledby="add-host-key-heading" data-field-error={message ? "" : undefined}>
      <h2 id="add-host-key-heading" className="font-medium">
        {t("hostKey")}
      </h2>
      <button type="button" className="btn btn-secondary" disabled={!hydrated || pending} onClick={onCheck}>
        {pending ? t("checking") : t("check")}
      </button>
      {scanned && (
        <div className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700" data-testid="scanned-host-key">
          <p>
            {t("offered")} <span translate="no">{scanned.algorithm}</span>
          </p>
          <p className="break-all font-mono text-sm" translate="no">
            {scanned.fingerprint}
          </p>
          <p>{t.rich("compare", { cmd: (chunks) => <code className="break-all font-mono text-xs">{chunks}</code> })}</p>
          <CheckboxField
            id={ID.hostKey}
            label={t("confirm")}
            checked={confirmed}
            onChange={(e) => onConfirm(e.target.checked)}
            aria-describedby={message ? errorId(ID.hostKey) : undefined}
            aria-invalid={message ? true : undefined}
          />
        </div>
      )}
      {message && (
        <p id={errorId(ID.hostKey)} className="text-xs font-medium text-red-700 dark:text-red-300" translate={problem ? "no" : undefined}>
          {message}
        </p>
      )}
    </section>
  );
}

/** The TLS client's three files, as libvirt's pkipath wants them; read as text when the form is sent. */
function TlsFiles() {
  const t = useTranslations("hosts.add.tls");
  const files = [
    { id: ID.ca, name: "ca", label: t("ca"), hint: t("caHint") },
    { id: ID.cert, name: "cert", label: t("cert"), hint: t("certHint") },
    { id: ID.key, name: "key", label: t("key"), hint: t("keyHint") },
  ];
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
      {files.map((f) => (
        <TextField key={f.id} id={f.id} name={f.name} label={f.label} hint={f.hint} type="file" accept=".pem,.crt,.key,text/plain" />
      ))}
    </div>
  );
}
