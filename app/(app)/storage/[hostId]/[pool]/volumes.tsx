"use client";

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { Fact } from "@/app/_components/fact";
import { CheckboxField, Field, Options, SubmitRow, TextField } from "@/app/_components/form-fields";
import { formatBytes } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";
import type { Pool } from "@/app/(app)/storage/pool-card";
import { bytesToGibText, gibToBytes, parseGib } from "@/app/(app)/storage/units";

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

/** Makes a volume in the pool; logical pools hold raw volumes only, so they are not asked the format. */
export function CreateVolumeForm({ pool }: { pool: Pool }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
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
    <form onSubmit={onSubmit} method="post" className="grid grid-cols-1 gap-3 sm:grid-cols-3">
      <TextField id="create-volume-name" label="Volume name" name="name" required autoComplete="off" placeholder="disk1.qcow2" />
      {hasFormats && (
        <Field id="create-volume-format" label="Format">
          <select id="create-volume-format" name="format" defaultValue="qcow2" className="input mt-1">
            <Options choices={FORMATS} />
          </select>
        </Field>
      )}
      <TextField id="create-volume-size" label="Size (GiB)" name="size" required type="number" inputMode="decimal" min="0.001" step="any" />
      <SubmitRow
        className="sm:col-span-3"
        label="Create volume"
        pendingLabel="Creating…"
        pending={create.isPending}
        error={sizeError ?? create.error?.message ?? null}
        success={created ? `Volume ${created} created.` : null}
      />
    </form>
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
      return setLocalError(
        `${bytesToGibText(capacityBytes)} GiB is smaller than now (${formatBytes(volume.capacityBytes)}): tick “Allow shrinking” to confirm that data past the new end may be lost.`,
      );
    }
    setLocalError(null);
    resize.mutate(
      { hostId: volume.hostId, pool: volume.pool, volume: volume.name, capacityBytes, allowShrink },
      { onSuccess: (vol) => onDone(`Resized to ${formatBytes(vol.capacityBytes)}.`) },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <TextField
        id={`${id}-size`}
        label="New size (GiB)"
        hint={`Now ${formatBytes(volume.capacityBytes)}. Growing a disk of a running VM goes through the VM, so the guest sees it.`}
        name="size"
        type="number"
        inputMode="decimal"
        min="0.001"
        step="any"
        required
        defaultValue={bytesToGibText(volume.capacityBytes)}
      />
      <CheckboxField id={`${id}-shrink`} name="allowShrink" label="Allow shrinking (data past the new end is lost)" />
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

/** A button that opens and closes one of a card's panels. */
function PanelToggle({
  open,
  panelId,
  className = "",
  onToggle,
  children,
}: {
  open: boolean;
  panelId: string;
  className?: string;
  onToggle: () => void;
  children: React.ReactNode;
}) {
  const hydrated = useHydrated();
  return (
    <button
      type="button"
      className={`btn btn-secondary ${className}`}
      aria-expanded={open}
      aria-controls={open ? panelId : undefined}
      disabled={!hydrated}
      onClick={onToggle}
    >
      {children}
    </button>
  );
}

export function VolumeCard({ volume, canManage }: { volume: Volume; canManage: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const remove = useMutation(trpc.storage.deleteVolume.mutationOptions({ onSuccess: invalidate }));
  const [open, setOpen] = useState<"resize" | "delete" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const panelId = useId();
  const toggle = (panel: "resize" | "delete") => {
    setNotice(null);
    setOpen(open === panel ? null : panel);
  };
  return (
    <li className="card min-w-0 space-y-3" aria-label={`Volume ${volume.name}`}>
      <div className="min-w-0 break-all text-base font-semibold">{volume.name}</div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <Fact label="Format">{volume.format ?? volume.type}</Fact>
        <Fact label="Capacity">{formatBytes(volume.capacityBytes)}</Fact>
        <Fact label="Allocation">{formatBytes(volume.allocationBytes)}</Fact>
        <Fact label="Path" wide className="break-all font-mono text-xs">
          {volume.path ?? "—"}
        </Fact>
        {volume.backingPath && (
          <Fact label="Backing file" wide className="break-all font-mono text-xs">
            {volume.backingPath}
          </Fact>
        )}
      </dl>
      {canManage && (
        <>
          <div className="flex flex-wrap gap-2" role="group" aria-label={`Actions for volume ${volume.name}`}>
            <PanelToggle open={open === "resize"} panelId={panelId} onToggle={() => toggle("resize")}>
              Resize
            </PanelToggle>
            <PanelToggle open={open === "delete"} panelId={panelId} className="text-red-700 dark:text-red-300" onToggle={() => toggle("delete")}>
              Delete
            </PanelToggle>
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
            {open === "delete" && (
              <ConfirmDelete
                what={`volume ${volume.name}`}
                confirmLabel="Yes, delete volume"
                mutation={remove}
                onConfirm={() => remove.mutate({ hostId: volume.hostId, pool: volume.pool, volume: volume.name })}
                onCancel={() => setOpen(null)}
              >
                <p className="text-sm">
                  Delete <span className="break-all font-mono">{volume.name}</span> and its data? This cannot be undone.
                </p>
              </ConfirmDelete>
            )}
          </div>
        </>
      )}
    </li>
  );
}
