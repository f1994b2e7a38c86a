"use client";

import { useId, useState, type FormEvent, type ReactNode } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { useTranslations } from "next-intl";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { Fact } from "@/app/_components/fact";
import { CheckboxField, Field, Options, SubmitRow, TextField } from "@/app/_components/form-fields";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import type { Pool } from "@/app/(app)/storage/pool-card";
import { parseSize, sizeFieldText } from "@/server/storage/sizes";

export type Volume = inferRouterOutputs<AppRouter>["storage"]["volumes"][number];
type VolumeFormat = NonNullable<inferRouterInputs<AppRouter>["storage"]["createVolume"]["format"]>;
type T = ReturnType<typeof useTranslations<"storage">>;
type Format = ReturnType<typeof useFormat>;

const FORMATS: readonly VolumeFormat[] = ["qcow2", "raw"];

function useInvalidateStorage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.storage.pathKey() });
}

/**
 * What a size field says under itself: the examples, or why the size cannot work (a preallocated
 * volume must fit in the pool's free space), or that a thin volume may outgrow the free space.
 */
function sizeHint(t: T, f: Format, bytes: number | null, typed: string, free: number | null, preallocated: boolean, growth = bytes): ReactNode {
  if (typed.trim() !== "" && bytes === null) return <span className="text-red-700 dark:text-red-300">{t("size.invalid")}</span>;
  if (bytes === null || free === null || growth === null || growth <= free) return t("size.examples");
  if (preallocated) return <span className="text-red-700 dark:text-red-300">{t("size.tooBig", { free: f.bytes(free) })}</span>;
  return <span className="text-amber-800 dark:text-amber-300">{t("size.overcommit", { free: f.bytes(free) })}</span>;
}

/** The pool's free space, where the user may see it and the pool runs. */
export function freeBytes(pool: Pool): number | null {
  return pool.scope === "host" && pool.active ? pool.availableBytes : null;
}

/** Makes a volume in the pool; logical pools hold raw logical volumes only, so they are not asked the format. */
export function CreateVolumeForm({ pool }: { pool: Pool }) {
  const t = useTranslations("storage");
  const f = useFormat();
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
          toasts.success(`create volume ${pool.hostId}/${pool.name}`, t("createVolume.created", { name: vol.name }));
          setSizeText("");
          setPreallocate(false);
          formEl.reset();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="grid grid-cols-1 gap-3 sm:grid-cols-3">
      <TextField
        id="create-volume-name"
        label={t("createVolume.name")}
        name="name"
        required
        autoComplete="off"
        placeholder={t("createVolume.namePlaceholder")}
      />
      {hasFormats && (
        <Field id="create-volume-format" label={t("createVolume.format")}>
          <select id="create-volume-format" name="format" defaultValue="qcow2" className="input mt-1">
            <Options choices={FORMATS.map((value) => ({ value, label: t(`volume.formats.${value}`) }))} />
          </select>
        </Field>
      )}
      <TextField
        id="create-volume-size"
        label={t("createVolume.size")}
        name="size"
        required
        autoComplete="off"
        placeholder={t("createVolume.sizePlaceholder")}
        aria-invalid={(sizeText.trim() !== "" && bytes === null) || tooBig}
        value={sizeText}
        onChange={(e) => setSizeText(e.target.value)}
        hint={sizeHint(t, f, bytes, sizeText, free, preallocated)}
      />
      {hasFormats && (
        <CheckboxField
          id="create-volume-preallocate"
          name="preallocate"
          className="sm:col-span-3"
          checked={preallocate}
          onChange={(e) => setPreallocate(e.target.checked)}
          label={t("createVolume.preallocate")}
        />
      )}
      <SubmitRow
        className="sm:col-span-3"
        label={t("createVolume.submit")}
        pendingLabel={t("createVolume.pending")}
        pending={create.isPending}
        error={create.error?.message ?? null}
      />
    </form>
  );
}

function ResizeForm({ volume, free, onDone }: { volume: Volume; free: number | null; onDone: () => void }) {
  const t = useTranslations("storage");
  const f = useFormat();
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
    if (bytes === null) return setLocalError(t("resize.enterSize"));
    if (bytes < volume.capacityBytes && !allowShrink) {
      return setLocalError(t("resize.shrinkUnconfirmed", { size: f.bytes(bytes), now: f.bytes(volume.capacityBytes) }));
    }
    setLocalError(null);
    resize.mutate(
      { hostId: volume.hostId, pool: volume.pool, volume: volume.name, capacityBytes: bytes, allowShrink },
      {
        onSuccess: (vol) => {
          toasts.success(`volume ${volume.hostId}/${volume.pool}/${volume.name}`, t("resize.resized", { name: volume.name, size: f.bytes(vol.capacityBytes) }));
          onDone();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <TextField
        id={`${id}-size`}
        label={t("resize.newSize")}
        name="size"
        autoComplete="off"
        required
        value={sizeText}
        onChange={(e) => setSizeText(e.target.value)}
        aria-invalid={sizeText.trim() !== "" && bytes === null}
        hint={
          <>
            {t("resize.now", { size: f.bytes(volume.capacityBytes) })}{" "}
            {/* Growing never allocates here: only the growth beyond the free space is overcommit. */}
            {sizeHint(t, f, bytes, sizeText, free, false, bytes === null ? null : bytes - volume.capacityBytes)}
          </>
        }
      />
      <CheckboxField id={`${id}-shrink`} name="allowShrink" label={t("resize.allowShrink")} />
      <FormStatus error={localError ?? resize.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={!hydrated || resize.isPending}>
          {resize.isPending ? t("resize.pending") : t("resize.apply")}
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => onDone()}>
          {t("resize.cancel")}
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

/** A name inside a sentence: verbatim, in the code font. */
const mono = (chunks: ReactNode) => (
  <span className="break-all font-mono" translate="no">
    {chunks}
  </span>
);

/** How a VM reads the volume, in parentheses after its name: "(disk vda)", "(backing file of its disk vdb, running)". */
function useLabel(t: T, u: DiskUse): string {
  const target = u.target;
  if (u.backing) return u.running ? t("volume.useBackingRunning", { target }) : t("volume.useBacking", { target });
  return u.running ? t("volume.useDiskRunning", { target }) : t("volume.useDisk", { target });
}

/** The VMs that read the volume, each linked to its page. */
function UsedBy({ volume }: { volume: Volume }) {
  const t = useTranslations("storage");
  if (volume.usedBy.length === 0) return <>{t("volume.noVm")}</>;
  return (
    <ul className="space-y-0.5">
      {volume.usedBy.map((u) => (
        <li key={`${u.uuid}-${u.target}`}>
          <Link
            href={`/vms/${encodeURIComponent(volume.hostId)}/${encodeURIComponent(u.uuid)}`}
            className="break-all text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
            translate="no"
          >
            {u.name}
          </Link>{" "}
          <span className="text-slate-600 dark:text-slate-400">{useLabel(t, u)}</span>
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
  const t = useTranslations("storage.deleteVolume");
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
      what={t("what", { name: volume.name })}
      confirmLabel={attached.length ? t("confirmDetach") : t("confirm")}
      mutation={remove}
      ready={ready}
      onConfirm={() => remove.mutate({ hostId: volume.hostId, pool: volume.pool, volume: volume.name, detachFrom: attached.map((u) => u.name) })}
      onCancel={onCancel}
    >
      {backing.length > 0 ? (
        <p className="text-sm">
          {t.rich("backingOf", { name: volume.name, disks: backing.map((u) => t("backingDisk", { vm: u.name, target: u.target })).join(", "), code: mono })}
        </p>
      ) : (
        <p className="text-sm">{t.rich("ask", { name: volume.name, code: mono })}</p>
      )}
      {backing.length === 0 &&
        attached.map((u) => (
          <div key={u.uuid} className="space-y-2">
            <p className="text-sm">
              {t.rich(u.running ? "attachedRunning" : "attached", {
                vm: u.name,
                targets: volume.usedBy
                  .filter((x) => x.uuid === u.uuid)
                  .map((x) => x.target)
                  .join(", "),
                strong: (chunks) => (
                  <span className="break-all font-semibold" translate="no">
                    {chunks}
                  </span>
                ),
              })}
            </p>
            <TextField
              id={`${id}-${u.uuid}`}
              label={t.rich("typeVmName", { vm: u.name, code: mono })}
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
  const t = useTranslations("storage.volume");
  const f = useFormat();
  const [open, setOpen] = useState<"resize" | "delete" | null>(null);
  const panelId = useId();
  const toggle = (panel: "resize" | "delete") => setOpen(open === panel ? null : panel);
  return (
    <li className="card min-w-0 space-y-3" aria-label={t("ariaLabel", { name: volume.name })}>
      <div className="min-w-0 break-all text-base font-semibold" translate="no">
        {volume.name}
      </div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <Fact label={t("format")}>
          <span translate="no">{volume.format ?? volume.type}</span>
        </Fact>
        <Fact label={t("capacity")}>{f.bytes(volume.capacityBytes)}</Fact>
        <Fact label={t("allocation")}>{f.bytes(volume.allocationBytes)}</Fact>
        <Fact label={t("usedBy")} wide>
          <UsedBy volume={volume} />
        </Fact>
        <Fact label={t("path")} wide className="break-all font-mono text-xs">
          <span translate="no">{volume.path ?? "—"}</span>
        </Fact>
        {volume.backingPath && (
          <Fact label={t("backingFile")} wide className="break-all font-mono text-xs">
            <span translate="no">{volume.backingPath}</span>
          </Fact>
        )}
      </dl>
      {canManage && (
        <>
          <div className="flex flex-wrap gap-2" role="group" aria-label={t("actions", { name: volume.name })}>
            <PanelToggle open={open === "resize"} panelId={panelId} onToggle={() => toggle("resize")}>
              {t("resize")}
            </PanelToggle>
            <PanelToggle open={open === "delete"} panelId={panelId} className="text-red-700 dark:text-red-300" onToggle={() => toggle("delete")}>
              {t("delete")}
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
