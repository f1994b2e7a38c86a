"use client";

import { useId, useState, type FormEvent, type ReactNode } from "react";
import Link from "next/link";
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
import { useToasts } from "@/app/_components/toasts";
import type { Pool } from "@/app/(app)/storage/pool-card";
import { formatSize, parseSize, sizeFieldText } from "@/server/storage/sizes";

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

const SIZE_EXAMPLES = "e.g. 20 GiB, 512 MiB, 1.5 TiB (a number alone is GiB)";

/**
 * What a size field says under itself: the examples, or why the size cannot work (a preallocated
 * volume must fit in the pool's free space), or that a thin volume may outgrow the free space.
 */
function sizeHint(bytes: number | null, typed: string, free: number | null, preallocated: boolean, growth = bytes): ReactNode {
  if (typed.trim() !== "" && bytes === null) return <span className="text-red-700 dark:text-red-300">Enter a size such as 20 GiB, 512 MiB or 1.5 TiB.</span>;
  if (bytes === null || free === null || growth === null || growth <= free) return SIZE_EXAMPLES;
  if (preallocated) {
    return (
      <span className="text-red-700 dark:text-red-300">
        Size must be at most {formatSize(free)}, the pool&apos;s free space: a preallocated volume takes its whole size at once.
      </span>
    );
  }
  return (
    <span className="text-amber-800 dark:text-amber-300">
      This pool has {formatSize(free)} free; the volume can grow beyond that. It is thin, so this works until the guests fill the pool, and then their writes
      fail (overcommit).
    </span>
  );
}

/** The pool's free space, where the user may see it and the pool runs. */
export function freeBytes(pool: Pool): number | null {
  return pool.scope === "host" && pool.active ? pool.availableBytes : null;
}

/** Makes a volume in the pool; logical pools hold raw logical volumes only, so they are not asked the format. */
export function CreateVolumeForm({ pool }: { pool: Pool }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const toasts = useToasts();
  const [sizeText, setSizeText] = useState("");
  const [preallocate, setPreallocate] = useState(false);
  const create = useMutation(trpc.storage.createVolume.mutationOptions({ onSuccess: invalidate }));
  // Logical pools hold raw logical volumes only, which take their whole size at once.
  const hasFormats = pool.type !== "logical";
  const preallocated = preallocate || !hasFormats;
  const bytes = parseSize(sizeText);
  const free = freeBytes(pool);
  const tooBig = preallocated && bytes !== null && free !== null && bytes > free;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    if (bytes === null || tooBig) return;
    const name = String(form.get("name") ?? "").trim();
    create.mutate(
      {
        hostId: pool.hostId,
        pool: pool.name,
        name,
        format: hasFormats ? (String(form.get("format")) as VolumeFormat) : "raw",
        capacityBytes: bytes,
        preallocate: preallocated,
      },
      {
        onSuccess: (vol) => {
          toasts.success(`create volume ${pool.hostId}/${pool.name}`, `Volume ${vol.name} created.`);
          setSizeText("");
          setPreallocate(false);
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
      <TextField
        id="create-volume-size"
        label="Size"
        name="size"
        required
        autoComplete="off"
        placeholder="20 GiB"
        aria-invalid={(sizeText.trim() !== "" && bytes === null) || tooBig}
        value={sizeText}
        onChange={(e) => setSizeText(e.target.value)}
        hint={sizeHint(bytes, sizeText, free, preallocated)}
      />
      {hasFormats && (
        <CheckboxField
          id="create-volume-preallocate"
          name="preallocate"
          className="sm:col-span-3"
          checked={preallocate}
          onChange={(e) => setPreallocate(e.target.checked)}
          label="Preallocate: take the whole size on disk now (must fit in the free space; faster first writes)"
        />
      )}
      <SubmitRow className="sm:col-span-3" label="Create volume" pendingLabel="Creating…" pending={create.isPending} error={create.error?.message ?? null} />
    </form>
  );
}

function ResizeForm({ volume, free, onDone }: { volume: Volume; free: number | null; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const hydrated = useHydrated();
  const id = useId();
  const [localError, setLocalError] = useState<string | null>(null);
  const [sizeText, setSizeText] = useState(() => sizeFieldText(volume.capacityBytes));
  const toasts = useToasts();
  const resize = useMutation(trpc.storage.resizeVolume.mutationOptions({ onSuccess: invalidate }));
  const bytes = parseSize(sizeText);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const allowShrink = form.get("allowShrink") === "on";
    if (bytes === null) return setLocalError("Enter the new size, e.g. 20 GiB or 1.5 TiB.");
    if (bytes < volume.capacityBytes && !allowShrink) {
      return setLocalError(
        `${formatSize(bytes)} is smaller than now (${formatBytes(volume.capacityBytes)}): tick “Allow shrinking” to confirm that data past the new end may be lost.`,
      );
    }
    setLocalError(null);
    resize.mutate(
      { hostId: volume.hostId, pool: volume.pool, volume: volume.name, capacityBytes: bytes, allowShrink },
      {
        onSuccess: (vol) => {
          toasts.success(`volume ${volume.hostId}/${volume.pool}/${volume.name}`, `Volume ${volume.name} resized to ${formatBytes(vol.capacityBytes)}.`);
          onDone();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <TextField
        id={`${id}-size`}
        label="New size"
        name="size"
        autoComplete="off"
        required
        value={sizeText}
        onChange={(e) => setSizeText(e.target.value)}
        aria-invalid={sizeText.trim() !== "" && bytes === null}
        hint={
          <>
            Now {formatBytes(volume.capacityBytes)}. Growing a disk of a running VM goes through the VM, so the guest sees it.{" "}
            {/* Growing never allocates here: only the growth beyond the free space is overcommit. */}
            {sizeHint(bytes, sizeText, free, false, bytes === null ? null : bytes - volume.capacityBytes)}
          </>
        }
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

type DiskUse = Volume["usedBy"][number];

function useLabel(u: DiskUse): string {
  return u.backing ? `backing file of its disk ${u.target}` : `disk ${u.target}`;
}

/** The VMs that read the volume, each linked to its page. */
function UsedBy({ volume }: { volume: Volume }) {
  if (volume.usedBy.length === 0) return <>no VM</>;
  return (
    <ul className="space-y-0.5">
      {volume.usedBy.map((u) => (
        <li key={`${u.uuid}-${u.target}`}>
          <Link
            href={`/vms/${encodeURIComponent(volume.hostId)}/${encodeURIComponent(u.uuid)}`}
            className="break-all text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
          >
            {u.name}
          </Link>{" "}
          <span className="text-slate-600 dark:text-slate-400">
            ({useLabel(u)}
            {u.running ? ", running" : ""})
          </span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Deleting a volume: one no VM reads goes at once; one attached to VMs only once the user typed
 * each VM's name (its disk is detached first); a backing file of a VM's disk not at all.
 */
function DeleteVolume({ volume, onCancel }: { volume: Volume; onCancel: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateStorage();
  const id = useId();
  const remove = useMutation(trpc.storage.deleteVolume.mutationOptions({ onSuccess: invalidate }));
  const backing = volume.usedBy.filter((u) => u.backing);
  const attached = [...new Map(volume.usedBy.filter((u) => !u.backing).map((u) => [u.uuid, u])).values()];
  const [typed, setTyped] = useState<Record<string, string>>({});
  const ready = backing.length === 0 && attached.every((u) => typed[u.uuid] === u.name);
  return (
    <ConfirmDelete
      what={`volume ${volume.name}`}
      confirmLabel={attached.length ? "Detach and delete volume" : "Yes, delete volume"}
      mutation={remove}
      ready={ready}
      onConfirm={() => remove.mutate({ hostId: volume.hostId, pool: volume.pool, volume: volume.name, detachFrom: attached.map((u) => u.name) })}
      onCancel={onCancel}
    >
      {backing.length > 0 ? (
        <p className="text-sm">
          <span className="break-all font-mono">{volume.name}</span> is the backing file of {backing.map((u) => `VM ${u.name}'s disk ${u.target}`).join(", ")}:
          those disks are overlays on it and would be lost with it, so it cannot be deleted while they exist.
        </p>
      ) : (
        <p className="text-sm">
          Delete <span className="break-all font-mono">{volume.name}</span> and its data? This cannot be undone.
        </p>
      )}
      {backing.length === 0 &&
        attached.map((u) => (
          <div key={u.uuid} className="space-y-2">
            <p className="text-sm">
              VM <span className="break-all font-semibold">{u.name}</span> has it attached as{" "}
              {volume.usedBy
                .filter((x) => x.uuid === u.uuid)
                .map((x) => x.target)
                .join(", ")}
              {u.running ? " and is running" : ""}. Deleting detaches it from that VM first
              {u.running ? " (from the running VM too: the guest must release it)" : ""}.
            </p>
            <TextField
              id={`${id}-${u.uuid}`}
              label={
                <>
                  Type the VM&apos;s name (<span className="break-all font-mono">{u.name}</span>) to detach the disk and delete the volume
                </>
              }
              name={`confirm-${u.uuid}`}
              autoComplete="off"
              value={typed[u.uuid] ?? ""}
              onChange={(e) => setTyped({ ...typed, [u.uuid]: e.target.value })}
            />
          </div>
        ))}
    </ConfirmDelete>
  );
}

export function VolumeCard({ volume, free, canManage }: { volume: Volume; free: number | null; canManage: boolean }) {
  const [open, setOpen] = useState<"resize" | "delete" | null>(null);
  const panelId = useId();
  const toggle = (panel: "resize" | "delete") => setOpen(open === panel ? null : panel);
  return (
    <li className="card min-w-0 space-y-3" aria-label={`Volume ${volume.name}`}>
      <div className="min-w-0 break-all text-base font-semibold">{volume.name}</div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <Fact label="Format">{volume.format ?? volume.type}</Fact>
        <Fact label="Capacity">{formatBytes(volume.capacityBytes)}</Fact>
        <Fact label="Allocation">{formatBytes(volume.allocationBytes)}</Fact>
        <Fact label="Used by" wide>
          <UsedBy volume={volume} />
        </Fact>
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
          <div id={panelId}>
            {open === "resize" && <ResizeForm volume={volume} free={free} onDone={() => setOpen(null)} />}
            {open === "delete" && <DeleteVolume volume={volume} onCancel={() => setOpen(null)} />}
          </div>
        </>
      )}
    </li>
  );
}
