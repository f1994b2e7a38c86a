"use client";

import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { FieldMap } from "@/server/api/error-words";
import { MAC_PATTERN, NIC_MODELS } from "@/server/domains/nic-schemas";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { ErrorExplained, EXPLAINED_DETAIL, type ExplainableError } from "@/app/_components/error-explained";
import { Fact } from "@/app/_components/fact";
import { Field, FieldErrorsContext, Options, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";

type NicList = inferRouterOutputs<AppRouter>["nics"]["list"];
type Nic = NicList["nics"][number];
type Sources = inferRouterOutputs<AppRouter>["nics"]["sources"];
type Source = { kind: "network" | "bridge"; name: string };

type T = ReturnType<typeof useTranslations<"vmNetwork">>;

/** When a change to a card takes effect, as the `when` choice of the notices (nic-schemas' appliesWhen, in the catalog's words). */
function appliesWhen(change: { live: boolean; persistent: boolean }, running: boolean): "both" | "live" | "nextBoot" | "nextStart" {
  if (change.live && change.persistent) return "both";
  if (change.live) return "live";
  return running ? "nextBoot" : "nextStart";
}

/** Why a MAC cannot be a card's, as the catalog words it (the server's macProblem checks the same); null when it can. */
function macProblem(mac: string, t: T): string | null {
  if (!MAC_PATTERN.test(mac)) return t("add.macFormat");
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return t("add.macMulticast");
  if (/^(00:){5}00$/.test(mac)) return t("add.macZero");
  return null;
}

/** What a card connects to, in words; libvirt's kinds we have no word for stay as libvirt names them. */
function sourceWords(kind: string, source: string | null, t: T): string {
  if (kind === "network") return t("sources.network", { name: source ?? "?" });
  if (kind === "bridge") return t("sources.bridge", { name: source ?? "?" });
  if (kind === "user") return t("sources.user");
  return source ? `${kind} ${source}` : kind;
}

function linkWord(link: string, t: T): string {
  return link === "up" || link === "down" ? t(`card.linkState.${link}`) : link;
}

const sourceValue = (s: Source) => `${s.kind}:${s.name}`;

function parseSource(value: string): Source | null {
  const at = value.indexOf(":");
  const kind = value.slice(0, at);
  return kind === "network" || kind === "bridge" ? { kind, name: value.slice(at + 1) } : null;
}

/** The host's networks and bridges as grouped choices; a stopped network says so, since a card on it cannot start. */
function SourceOptions({ sources }: { sources: Sources }) {
  const t = useTranslations("vmNetwork");
  return (
    <>
      {sources.networks.length > 0 && (
        <optgroup label={t("sources.networks")}>
          {sources.networks.map((n) => (
            <option key={n.name} value={sourceValue({ kind: "network", name: n.name })}>
              {n.active ? n.name : t("sources.stopped", { name: n.name })}
            </option>
          ))}
        </optgroup>
      )}
      {sources.bridges.length > 0 && (
        <optgroup label={t("sources.bridges")}>
          {sources.bridges.map((b) => (
            <option key={b} value={sourceValue({ kind: "bridge", name: b })}>
              {b}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

function GuestAddresses({ nic, running }: { nic: Nic; running: boolean }) {
  const t = useTranslations("vmNetwork");
  if (!running || !nic.live) return <span className="text-slate-500 dark:text-slate-400">{t("addresses.off")}</span>;
  const guest = nic.guest;
  if (!guest) return <span className="text-slate-500 dark:text-slate-400">{t("addresses.noPermission")}</span>;
  if (guest.addresses.length === 0) {
    return (
      <span className="text-slate-500 dark:text-slate-400">
        {guest.source ? t("addresses.noneReported", { source: guest.source }) : t("addresses.unknown")}
      </span>
    );
  }
  const guestName = (chunks: ReactNode) => <span translate="no">{chunks}</span>;
  return (
    <>
      <ul className="font-mono text-sm" translate="no">
        {guest.addresses.map((a) => (
          <li key={`${a.address}/${a.prefix}`} className="break-all">
            {a.address}/{a.prefix}
          </li>
        ))}
      </ul>
      <span className="block text-xs text-slate-500 dark:text-slate-400">
        {guest.guestName
          ? t.rich("addresses.reportedByAs", { source: guest.source ?? "", name: guest.guestName, guest: guestName })
          : t("addresses.reportedBy", { source: guest.source ?? "" })}
      </span>
    </>
  );
}

function NicCard({
  nic,
  running,
  canEdit,
  sources,
  busy,
  onLink,
  onMove,
  onRemove,
}: {
  nic: Nic;
  running: boolean;
  canEdit: boolean;
  sources: Sources | null;
  busy: boolean;
  onLink: (state: "up" | "down") => void;
  onMove: (source: Source) => void;
  onRemove: () => void;
}) {
  const t = useTranslations("vmNetwork");
  const hydrated = useHydrated();
  const [moving, setMoving] = useState(false);
  const id = `nic-${nic.mac.replace(/:/g, "")}`;
  const current = nic.kind === "network" || nic.kind === "bridge" ? sourceValue({ kind: nic.kind, name: nic.source ?? "" }) : "";

  function onSubmitMove(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const source = parseSource(String(new FormData(event.currentTarget).get("source") ?? ""));
    if (source) onMove(source);
    setMoving(false);
  }

  return (
    <li className="card space-y-3" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="break-all font-mono text-base font-semibold" translate="no">
        {nic.mac}
      </h3>
      <dl className="grid grid-cols-2 gap-3 break-words text-sm lg:grid-cols-4">
        <Fact label={t("card.connectedTo")}>{sourceWords(nic.kind, nic.source, t)}</Fact>
        <Fact label={t("card.model")}>{nic.model ? <span translate="no">{nic.model}</span> : t("card.defaultModel")}</Fact>
        <Fact label={t("card.link")}>
          <span className={nic.link === "up" ? "text-green-700 dark:text-green-400" : "text-red-700 dark:text-red-300"}>{linkWord(nic.link, t)}</span>
        </Fact>
        <Fact label={t("card.hostDevice")} className="font-mono">
          <span translate="no">{nic.hostDevice ?? "—"}</span>
        </Fact>
        <Fact label={t("card.guestAddresses")} wide>
          <GuestAddresses nic={nic} running={running} />
        </Fact>
      </dl>
      {running && !nic.live && <p className="text-sm text-amber-800 dark:text-amber-300">{t("card.notYetLive")}</p>}
      {running && nic.live && !nic.persistent && <p className="text-sm text-amber-800 dark:text-amber-300">{t("card.liveOnly")}</p>}
      {nic.nextBoot && (
        <p className="text-sm text-amber-800 dark:text-amber-300">
          {t("card.nextBoot", { source: sourceWords(nic.nextBoot.kind, nic.nextBoot.source, t), link: linkWord(nic.nextBoot.link, t) })}
        </p>
      )}
      {canEdit && (
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn btn-secondary" disabled={!hydrated || busy} onClick={() => onLink(nic.link === "up" ? "down" : "up")}>
            {nic.link === "up" ? t("card.linkDown") : t("card.linkUp")}
          </button>
          {sources && (
            <button type="button" className="btn btn-secondary" aria-expanded={moving} disabled={!hydrated || busy} onClick={() => setMoving((m) => !m)}>
              {t("card.changeSource")}
            </button>
          )}
          <button type="button" className="btn btn-secondary text-red-700 dark:text-red-300" disabled={!hydrated || busy} onClick={onRemove}>
            {t("card.remove")}
          </button>
        </div>
      )}
      {moving && sources && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={onSubmitMove}>
          <Field id={`${id}-source`} label={t("card.connectTo")} className="min-w-0 grow sm:grow-0">
            <select id={`${id}-source`} name="source" className="input mt-1" defaultValue={current}>
              {current === "" && <option value="">{t("card.choose")}</option>}
              <SourceOptions sources={sources} />
            </select>
          </Field>
          <button type="submit" className="btn btn-primary" disabled={!hydrated || busy}>
            {t("card.move")}
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => setMoving(false)}>
            {t("card.cancel")}
          </button>
        </form>
      )}
    </li>
  );
}

/** The add form's fields by API path, labelled as the form shows them (the server's refusals name them so). */
function addFields(t: T): FieldMap {
  return {
    source: { id: "nic-add-source", label: t("add.connectTo") },
    "source.name": { id: "nic-add-source", label: t("add.connectTo") },
    model: { id: "nic-add-model", label: t("add.model") },
    mac: { id: "nic-add-mac", label: t("add.macField") },
  };
}

function AddNic({
  sources,
  pending,
  error,
  onAdd,
}: {
  sources: Sources;
  pending: boolean;
  error: (ExplainableError & Parameters<typeof useFieldErrors>[0]) | null;
  onAdd: (input: { source: Source; model: (typeof NIC_MODELS)[number]; mac?: string }) => void;
}) {
  const t = useTranslations("vmNetwork");
  const ADD_FIELDS = useMemo(() => addFields(t), [t]);
  const { formRef, byField, form, check } = useFieldErrors(error, ADD_FIELDS);
  const none = sources.networks.length === 0 && sources.bridges.length === 0;
  const explained = !!error?.data?.explanation;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const source = parseSource(String(data.get("source") ?? ""));
    const mac = String(data.get("mac") ?? "").trim();
    const model = String(data.get("model")) as (typeof NIC_MODELS)[number];
    const found: Record<string, string> = {};
    if (!source) found[ADD_FIELDS.source!.id] = t("add.chooseError");
    const problem = mac ? macProblem(mac, t) : null;
    if (problem) found[ADD_FIELDS.mac!.id] = problem;
    if (!check(found) || !source) return;
    onAdd({ source, model, mac: mac || undefined });
  }

  return (
    <section className="card space-y-3" aria-labelledby="nic-add-heading">
      <h3 id="nic-add-heading" className="text-base font-semibold">
        {t("add.heading")}
      </h3>
      {none ? (
        <p className="text-sm">{t("add.noSources")}</p>
      ) : (
        <FieldErrorsContext.Provider value={byField}>
          <form ref={formRef} className="grid grid-cols-1 gap-3 sm:grid-cols-3" onSubmit={onSubmit} noValidate>
            <Field id="nic-add-source" label={t("add.connectTo")}>
              <select id="nic-add-source" name="source" className="input mt-1" defaultValue="">
                <option value="">{t("add.choose")}</option>
                <SourceOptions sources={sources} />
              </select>
            </Field>
            <Field id="nic-add-model" label={t("add.model")}>
              <select id="nic-add-model" name="model" className="input mt-1" defaultValue="virtio">
                <Options choices={NIC_MODELS.map((m) => ({ value: m, label: t(`models.${m}`) }))} />
              </select>
            </Field>
            <TextField id="nic-add-mac" name="mac" label={t("add.mac")} hint={t("add.macHint")} mono autoComplete="off" placeholder="52:54:00:12:34:56" />
            {explained && (
              <div className="sm:col-span-3">
                <ErrorExplained error={error} />
              </div>
            )}
            <SubmitRow className="sm:col-span-3" label={t("add.submit")} pendingLabel={t("add.pending")} pending={pending} error={explained ? null : form} />
          </form>
        </FieldErrorsContext.Provider>
      )}
    </section>
  );
}

/**
 * The VM's network cards: what each connects to, its link, the guest's addresses for its MAC and
 * where they came from; adding, removing, moving and link changes say when they take effect.
 */
export function NicsPanel({
  hostId,
  uuid,
  vmName,
  initial,
  initialSources,
  canEdit,
}: {
  hostId: string;
  uuid: string;
  vmName: string;
  initial: NicList;
  initialSources: Sources | null;
  canEdit: boolean;
}) {
  const t = useTranslations("vmNetwork");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const ref = { hostId, uuid };
  // Addresses a guest takes by DHCP after its agent connected raise no event: read again every 30 s while it runs.
  const { data: list } = useQuery({
    ...trpc.nics.list.queryOptions(ref),
    initialData: initial,
    refetchInterval: (query) => (query.state.data?.running ? 30_000 : false),
  });
  const { data: sources } = useQuery({ ...trpc.nics.sources.queryOptions(ref), initialData: initialSources ?? undefined, enabled: canEdit });
  const [removing, setRemoving] = useState<string | null>(null);
  // Each card added remounts the add form, emptying it for the next one.
  const [addedCount, setAddedCount] = useState(0);
  const key = `nics ${hostId}/${uuid}`;

  useLiveRefetch(["domain.lifecycle", "guest.status"], (event) => (event.hostId === hostId && event.uuid === uuid ? [trpc.nics.list.queryKey(ref)] : []));

  // The overview lists the cards too: it reads the VM again after each change.
  const changed = () => {
    vmCache.reread(ref);
    return queryClient.invalidateQueries({ queryKey: trpc.nics.list.queryKey(ref) });
  };
  // A failure the server could explain says so in words, libvirt's text folded under it.
  const failed = (what: "toast.linkFailed" | "toast.moveFailed") => (error: ExplainableError) => {
    const explanation = error.data?.explanation;
    toasts.error(
      key,
      t(what, { vm: vmName, reason: explanation ?? error.message }),
      explanation ? { label: EXPLAINED_DETAIL, text: error.message } : undefined,
    );
  };
  const sourceOf = (source: Source) => sourceWords(source.kind, source.name, t);

  const add = useMutation(
    trpc.nics.add.mutationOptions({
      onSuccess: (result, input) => {
        setAddedCount((n) => n + 1);
        toasts.success(key, t("toast.added", { mac: result.mac, source: sourceOf(input.source), when: appliesWhen(result, list.running) }));
        return changed();
      },
    }),
  );
  const link = useMutation(
    trpc.nics.setLink.mutationOptions({
      onSuccess: (result, input) => {
        toasts.success(key, t(`toast.linkSet.${input.state}`, { mac: result.mac, when: appliesWhen(result, list.running) }));
        return changed();
      },
      onError: failed("toast.linkFailed"),
    }),
  );
  const move = useMutation(
    trpc.nics.setSource.mutationOptions({
      onSuccess: (result, input) => {
        const args = { mac: result.mac, source: sourceOf(input.source), when: appliesWhen(result, list.running) };
        toasts.success(key, result.refusedLive ? t("toast.movedRefused", { ...args, reason: result.refusedLive }) : t("toast.moved", args));
        return changed();
      },
      onError: failed("toast.moveFailed"),
    }),
  );
  const remove = useMutation(
    trpc.nics.remove.mutationOptions({
      onSuccess: (result) => {
        setRemoving(null);
        const args = { mac: result.mac, when: appliesWhen(result, list.running) };
        toasts.success(key, result.pending ? t("toast.removedPending", args) : t("toast.removed", args));
        return changed();
      },
    }),
  );
  const busy = add.isPending || link.isPending || move.isPending || remove.isPending;

  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {list.running ? (list.persistent ? t("panel.runningPersistent") : t("panel.runningTransient")) : t("panel.off")}
      </p>
      {list.nics.length === 0 ? (
        <p className="text-sm">{t("panel.none")}</p>
      ) : (
        <ul className="space-y-3" aria-label={t("panel.list")}>
          {list.nics.map((nic) => (
            <NicCard
              key={nic.mac}
              nic={nic}
              running={list.running}
              canEdit={canEdit}
              sources={sources ?? null}
              busy={busy}
              onLink={(state) => link.mutate({ ...ref, mac: nic.mac, state })}
              onMove={(source) => move.mutate({ ...ref, mac: nic.mac, source })}
              onRemove={() => {
                remove.reset();
                setRemoving(nic.mac);
              }}
            />
          ))}
        </ul>
      )}
      {canEdit && sources && (
        <AddNic key={addedCount} sources={sources} pending={add.isPending} error={add.error} onAdd={(input) => add.mutate({ ...ref, ...input })} />
      )}
      {removing && (
        <ConfirmDialog
          title={<span className="break-all">{t("remove.title", { mac: removing })}</span>}
          confirmLabel={t("remove.confirm")}
          pendingLabel={t("remove.pending")}
          mutation={remove}
          onConfirm={() => remove.mutate({ ...ref, mac: removing })}
          onCancel={() => setRemoving(null)}
        >
          <p className="text-sm">{list.running ? t("remove.bodyRunning") : t("remove.bodyOff")}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
