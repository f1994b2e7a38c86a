"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { FieldMap } from "@/server/api/error-words";
import { appliesWhen, macProblem, NIC_MODELS } from "@/server/domains/nic-schemas";
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

/** Where the guest's addresses came from, in the words the guest tab uses. */
const ADDRESS_SOURCES: Record<string, string> = {
  agent: "the KVM Manager agent",
  qga: "qemu-guest-agent",
  lease: "the network's DHCP leases",
  arp: "the host's ARP table",
};

const MODEL_WORDS: Record<string, string> = { virtio: "virtio (fast; needs the guest's virtio driver)", e1000e: "e1000e (Intel; works without drivers)" };

function sourceWords(kind: string, source: string | null): string {
  if (kind === "network") return `network ${source ?? "?"}`;
  if (kind === "bridge") return `bridge ${source ?? "?"}`;
  if (kind === "user") return "QEMU user-mode NAT (no host network)";
  return source ? `${kind} ${source}` : kind;
}

const sourceValue = (s: Source) => `${s.kind}:${s.name}`;

function parseSource(value: string): Source | null {
  const at = value.indexOf(":");
  const kind = value.slice(0, at);
  return kind === "network" || kind === "bridge" ? { kind, name: value.slice(at + 1) } : null;
}

/** The host's networks and bridges as grouped choices; a stopped network says so, since a card on it cannot start. */
function SourceOptions({ sources }: { sources: Sources }) {
  return (
    <>
      {sources.networks.length > 0 && (
        <optgroup label="Networks">
          {sources.networks.map((n) => (
            <option key={n.name} value={sourceValue({ kind: "network", name: n.name })}>
              {n.active ? n.name : `${n.name} (stopped)`}
            </option>
          ))}
        </optgroup>
      )}
      {sources.bridges.length > 0 && (
        <optgroup label="Host bridges">
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
  if (!running || !nic.live) return <span className="text-slate-500 dark:text-slate-400">none while the VM is off</span>;
  const guest = nic.guest;
  if (!guest) return <span className="text-slate-500 dark:text-slate-400">not shown (needs the guest.read permission)</span>;
  if (guest.addresses.length === 0) {
    return (
      <span className="text-slate-500 dark:text-slate-400">
        {guest.source ? `none reported by ${ADDRESS_SOURCES[guest.source] ?? guest.source}` : "unknown: no agent answers and no DHCP lease names it"}
      </span>
    );
  }
  return (
    <>
      <ul className="font-mono text-sm">
        {guest.addresses.map((a) => (
          <li key={`${a.address}/${a.prefix}`} className="break-all">
            {a.address}/{a.prefix}
          </li>
        ))}
      </ul>
      <span className="block text-xs text-slate-500 dark:text-slate-400">
        Reported by {ADDRESS_SOURCES[guest.source ?? ""] ?? guest.source}
        {guest.guestName && `, where the card is ${guest.guestName}`}.
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
      <h3 id={`${id}-title`} className="break-all font-mono text-base font-semibold">
        {nic.mac}
      </h3>
      <dl className="grid grid-cols-2 gap-3 break-words text-sm lg:grid-cols-4">
        <Fact label="Connected to">{sourceWords(nic.kind, nic.source)}</Fact>
        <Fact label="Model">{nic.model ?? "libvirt's default"}</Fact>
        <Fact label="Link">
          <span className={nic.link === "up" ? "text-green-700 dark:text-green-400" : "text-red-700 dark:text-red-300"}>{nic.link}</span>
        </Fact>
        <Fact label="Host device" className="font-mono">
          {nic.hostDevice ?? "—"}
        </Fact>
        <Fact label="Guest addresses" wide>
          <GuestAddresses nic={nic} running={running} />
        </Fact>
      </dl>
      {running && !nic.live && <p className="text-sm text-amber-800 dark:text-amber-300">Added for the next boot: the running VM does not have it yet.</p>}
      {running && nic.live && !nic.persistent && (
        <p className="text-sm text-amber-800 dark:text-amber-300">Only in the running VM: it goes when the VM stops.</p>
      )}
      {nic.nextBoot && (
        <p className="text-sm text-amber-800 dark:text-amber-300">
          At the next boot: {sourceWords(nic.nextBoot.kind, nic.nextBoot.source)}, link {nic.nextBoot.link}.
        </p>
      )}
      {canEdit && (
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn btn-secondary" disabled={!hydrated || busy} onClick={() => onLink(nic.link === "up" ? "down" : "up")}>
            {nic.link === "up" ? "Set link down" : "Set link up"}
          </button>
          {sources && (
            <button type="button" className="btn btn-secondary" aria-expanded={moving} disabled={!hydrated || busy} onClick={() => setMoving((m) => !m)}>
              Change source…
            </button>
          )}
          <button type="button" className="btn btn-secondary text-red-700 dark:text-red-300" disabled={!hydrated || busy} onClick={onRemove}>
            Remove…
          </button>
        </div>
      )}
      {moving && sources && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={onSubmitMove}>
          <Field id={`${id}-source`} label="Connect to" className="min-w-0 grow sm:grow-0">
            <select id={`${id}-source`} name="source" className="input mt-1" defaultValue={current}>
              {current === "" && <option value="">Choose a network or bridge</option>}
              <SourceOptions sources={sources} />
            </select>
          </Field>
          <button type="submit" className="btn btn-primary" disabled={!hydrated || busy}>
            Move card
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => setMoving(false)}>
            Cancel
          </button>
        </form>
      )}
    </li>
  );
}

const ADD_FIELDS: FieldMap = {
  source: { id: "nic-add-source", label: "Connect to" },
  "source.name": { id: "nic-add-source", label: "Connect to" },
  model: { id: "nic-add-model", label: "Model" },
  mac: { id: "nic-add-mac", label: "MAC address" },
};

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
    if (!source) found[ADD_FIELDS.source!.id] = "Choose a network or bridge.";
    const problem = mac ? macProblem(mac) : null;
    if (problem) found[ADD_FIELDS.mac!.id] = problem;
    if (!check(found) || !source) return;
    onAdd({ source, model, mac: mac || undefined });
  }

  return (
    <section className="card space-y-3" aria-labelledby="nic-add-heading">
      <h3 id="nic-add-heading" className="text-base font-semibold">
        Add a network card
      </h3>
      {none ? (
        <p className="text-sm">This host has no network or bridge to connect a card to. Add a network on the Networks page first.</p>
      ) : (
        <FieldErrorsContext.Provider value={byField}>
          <form ref={formRef} className="grid grid-cols-1 gap-3 sm:grid-cols-3" onSubmit={onSubmit} noValidate>
            <Field id="nic-add-source" label="Connect to">
              <select id="nic-add-source" name="source" className="input mt-1" defaultValue="">
                <option value="">Choose a network or bridge</option>
                <SourceOptions sources={sources} />
              </select>
            </Field>
            <Field id="nic-add-model" label="Model">
              <select id="nic-add-model" name="model" className="input mt-1" defaultValue="virtio">
                <Options choices={NIC_MODELS.map((m) => ({ value: m, label: MODEL_WORDS[m] ?? m }))} />
              </select>
            </Field>
            <TextField
              id="nic-add-mac"
              name="mac"
              label="MAC address (optional)"
              hint="Empty: libvirt picks one (52:54:00:…)."
              mono
              autoComplete="off"
              placeholder="52:54:00:12:34:56"
            />
            {explained && (
              <div className="sm:col-span-3">
                <ErrorExplained error={error} />
              </div>
            )}
            <SubmitRow className="sm:col-span-3" label="Add card" pendingLabel="Adding…" pending={pending} error={explained ? null : form} />
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
  const failed = (what: string) => (error: ExplainableError) => {
    const explanation = error.data?.explanation;
    toasts.error(key, `${what} on ${vmName}: ${explanation ?? error.message}`, explanation ? { label: EXPLAINED_DETAIL, text: error.message } : undefined);
  };

  const add = useMutation(
    trpc.nics.add.mutationOptions({
      onSuccess: (result, input) => {
        setAddedCount((n) => n + 1);
        toasts.success(key, `Network card ${result.mac} added on ${input.source.kind} ${input.source.name}: ${appliesWhen(result, list.running)}.`);
        return changed();
      },
    }),
  );
  const link = useMutation(
    trpc.nics.setLink.mutationOptions({
      onSuccess: (result, input) => {
        toasts.success(key, `Link of ${result.mac} set ${input.state}: ${appliesWhen(result, list.running)}.`);
        return changed();
      },
      onError: failed("Changing the link"),
    }),
  );
  const move = useMutation(
    trpc.nics.setSource.mutationOptions({
      onSuccess: (result, input) => {
        const to = `${input.source.kind} ${input.source.name}`;
        const why = result.refusedLive ? ` libvirt cannot move it while the VM runs (${result.refusedLive}).` : "";
        toasts.success(key, `Network card ${result.mac} moved to ${to}: ${appliesWhen(result, list.running)}.${why}`);
        return changed();
      },
      onError: failed("Moving the card"),
    }),
  );
  const remove = useMutation(
    trpc.nics.remove.mutationOptions({
      onSuccess: (result) => {
        setRemoving(null);
        const pending = result.pending ? " The guest has not released it yet; it leaves the running VM when the guest lets go." : "";
        toasts.success(key, `Network card ${result.mac} removed: ${appliesWhen(result, list.running)}.${pending}`);
        return changed();
      },
    }),
  );
  const busy = add.isPending || link.isPending || move.isPending || remove.isPending;

  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {list.running
          ? list.persistent
            ? "The VM is running: changes apply now where libvirt can make them live, and are kept for the next boot."
            : "The VM is running without a saved definition: changes apply now and are lost when it stops."
          : "The VM is off: changes apply when it next starts."}
      </p>
      {list.nics.length === 0 ? (
        <p className="text-sm">This VM has no network card.</p>
      ) : (
        <ul className="space-y-3" aria-label="Network cards">
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
          title={<span className="break-all">Remove network card {removing}?</span>}
          confirmLabel="Remove card"
          pendingLabel="Removing…"
          mutation={remove}
          onConfirm={() => remove.mutate({ ...ref, mac: removing })}
          onCancel={() => setRemoving(null)}
        >
          <p className="text-sm">
            {list.running
              ? "The guest loses this card now (it must release it: most do at once) and the VM does not have it at the next boot."
              : "The VM does not have this card when it next starts."}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
