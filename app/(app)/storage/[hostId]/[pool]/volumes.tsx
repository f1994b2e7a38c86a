"use client";

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../../../../_components/trpc";
import { FormStatus } from "../../../../_components/form-status";
import { formatBytes } from "../../../../_components/format";
import { useHydrated } from "../../../../_components/use-hydrated";
import type { Pool } from "../../pool-card";
import { bytesToGibText, gibToBytes, parseGib } from "../../units";

export type Volume = inferRouterOutputs<AppRouter>["storage"]["volumes"][number];
type VolumeFormat = NonNullable<inferRouterInputs<AppRouter>["storage"]["createVolume"]["format"]>;

const FORMATS: { value: VolumeFormat; label: string }[] = [
  { value: "qcow2", label: "qcow2 (thin, snapshots)" },
  { value: "raw", label: "raw (sparse file)" },
];

function useInvalidateStorage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.storage.pathKey() });
}

export function CreateVolumeForm({ pool }: { pool: Pool }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const hydrated = useHydrated();
  const [sizeError, setSizeError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(trpc.storage.createVolume.mutationOptions({ onSuccess: invalidate }));
  // Logical pools hold raw logical volumes only.
  const hasFormats = pool.type !== "logical";

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const gib = parseGib(String(form.get("size") ?? ""));
    setSizeError(gib === null ? "Enter the size in GiB, e.g. 10 or 0.5." : null);
    setCreated(null);
    if (gib === null) return;
    const name = String(form.get("name") ?? "").trim();
    create.mutate(
      { hostId: pool.hostId, pool: pool.name, name, format: hasFormats ? (String(form.get("format")) as VolumeFormat) : "raw", capacityBytes: gibToBytes(gib) },
      {
        onSuccess: (vol) => {
          setCreated(vol.name);
          formEl.reset();
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="create-volume-heading">
      <h3 id="create-volume-heading" className="mb-3 text-base font-semibold">
        Create a volume
      </h3>
      <form onSubmit={onSubmit} method="post" className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <div className="text-sm">
          <label htmlFor="create-volume-name">Volume name</label>
          <input id="create-volume-name" name="name" required autoComplete="off" className="input mt-1" placeholder="disk1.qcow2" />
        </div>
        {hasFormats && (
          <div className="text-sm">
            <label htmlFor="create-volume-format">Format</label>
            <select id="create-volume-format" name="format" defaultValue="qcow2" className="input mt-1">
              {FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="text-sm">
          <label htmlFor="create-volume-size">Size (GiB)</label>
          <input id="create-volume-size" name="size" required type="number" inputMode="decimal" min="0.001" step="any" className="input mt-1" />
        </div>
        <div className="space-y-3 sm:col-span-3">
          <FormStatus error={sizeError ?? create.error?.message ?? null} success={created ? `Volume ${created} created.` : null} />
          <button type="submit" className="btn btn-primary" disabled={!hydrated || create.isPending}>
            {create.isPending ? "Creating…" : "Create volume"}
          </button>
        </div>
      </form>
    </section>
  );
}

function ResizeForm({ volume, onDone }: { volume: Volume; onDone: (message?: string) => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const hydrated = useHydrated();
  const id = useId();
  const [localError, setLocalError] = useState<string | null>(null);
  const resize = useMutation(trpc.storage.resizeVolume.mutationOptions({ onSuccess: invalidate }));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const gib = parseGib(String(form.get("size") ?? ""));
    const allowShrink = form.get("allowShrink") === "on";
    if (gib === null) return setLocalError("Enter the new size in GiB, e.g. 20 or 1.5.");
    const capacityBytes = gibToBytes(gib);
    if (capacityBytes < volume.capacityBytes && !allowShrink) {
      return setLocalError(`${bytesToGibText(capacityBytes)} GiB is smaller than now (${formatBytes(volume.capacityBytes)}): tick “Allow shrinking” to confirm that data past the new end may be lost.`);
    }
    setLocalError(null);
    resize.mutate({ hostId: volume.hostId, pool: volume.pool, volume: volume.name, capacityBytes, allowShrink }, { onSuccess: (vol) => onDone(`Resized to ${formatBytes(vol.capacityBytes)}.`) });
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <div className="text-sm">
        <label htmlFor={`${id}-size`}>New size (GiB)</label>
        <input
          id={`${id}-size`}
          name="size"
          type="number"
          inputMode="decimal"
          min="0.001"
          step="any"
          required
          defaultValue={bytesToGibText(volume.capacityBytes)}
          className="input mt-1"
          aria-describedby={`${id}-hint`}
        />
        <span id={`${id}-hint`} className="mt-1 block text-xs text-slate-500">
          Now {formatBytes(volume.capacityBytes)}. Growing a disk of a running VM goes through the VM, so the guest sees it.
        </span>
      </div>
      <div className="flex items-start gap-2 text-sm">
        <input id={`${id}-shrink`} name="allowShrink" type="checkbox" className="mt-1" />
        <label htmlFor={`${id}-shrink`}>Allow shrinking (data past the new end is lost)</label>
      </div>
      <FormStatus error={localError ?? resize.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={!hydrated || resize.isPending}>
          {resize.isPending ? "Resizing…" : "Apply new size"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeleteVolume({ volume, onCancel }: { volume: Volume; onCancel: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const hydrated = useHydrated();
  const remove = useMutation(trpc.storage.deleteVolume.mutationOptions({ onSuccess: invalidate }));
  return (
    <div className="space-y-3 rounded-md border border-red-200 p-3 dark:border-red-900" role="group" aria-label={`Confirm deleting volume ${volume.name}`}>
      <p className="text-sm">
        Delete <span className="break-all font-mono">{volume.name}</span> and its data? This cannot be undone.
      </p>
      <FormStatus error={remove.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className="btn bg-red-700 text-white hover:bg-red-800"
          disabled={!hydrated || remove.isPending}
          onClick={() => remove.mutate({ hostId: volume.hostId, pool: volume.pool, volume: volume.name })}
        >
          {remove.isPending ? "Deleting…" : "Yes, delete volume"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function VolumeCard({ volume, canManage }: { volume: Volume; canManage: boolean }) {
  const hydrated = useHydrated();
  const [open, setOpen] = useState<"resize" | "delete" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const panelId = useId();
  return (
    <li className="card min-w-0 space-y-3" aria-label={`Volume ${volume.name}`}>
      <div className="min-w-0 break-all text-base font-semibold">{volume.name}</div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-xs text-slate-500">Format</dt>
          <dd>{volume.format ?? volume.type}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Capacity</dt>
          <dd>{formatBytes(volume.capacityBytes)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Allocation</dt>
          <dd>{formatBytes(volume.allocationBytes)}</dd>
        </div>
        <div className="col-span-3 min-w-0">
          <dt className="text-xs text-slate-500">Path</dt>
          <dd className="break-all font-mono text-xs">{volume.path ?? "—"}</dd>
        </div>
        {volume.backingPath && (
          <div className="col-span-3 min-w-0">
            <dt className="text-xs text-slate-500">Backing file</dt>
            <dd className="break-all font-mono text-xs">{volume.backingPath}</dd>
          </div>
        )}
      </dl>
      {canManage && (
        <>
          <div className="flex flex-wrap gap-2" role="group" aria-label={`Actions for volume ${volume.name}`}>
            <button
              type="button"
              className="btn btn-secondary"
              aria-expanded={open === "resize"}
              aria-controls={open === "resize" ? panelId : undefined}
              disabled={!hydrated}
              onClick={() => {
                setNotice(null);
                setOpen(open === "resize" ? null : "resize");
              }}
            >
              Resize
            </button>
            <button
              type="button"
              className="btn btn-secondary text-red-700 dark:text-red-300"
              aria-expanded={open === "delete"}
              aria-controls={open === "delete" ? panelId : undefined}
              disabled={!hydrated}
              onClick={() => setOpen(open === "delete" ? null : "delete")}
            >
              Delete
            </button>
          </div>
          <FormStatus success={notice} />
          <div id={panelId}>
            {open === "resize" && (
              <ResizeForm
                volume={volume}
                onDone={(message) => {
                  setOpen(null);
                  setNotice(message ?? null);
                }}
              />
            )}
            {open === "delete" && <DeleteVolume volume={volume} onCancel={() => setOpen(null)} />}
          </div>
        </>
      )}
    </li>
  );
}
