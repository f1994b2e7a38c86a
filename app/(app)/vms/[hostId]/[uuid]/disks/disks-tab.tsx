"use client";

import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { BootDevice } from "@/server/storage/disk-edits";
import { parseSize } from "@/server/storage/sizes";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, FieldErrorsContext, Options, SubmitRow, TextField } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { useToasts } from "@/app/_components/toasts";
import { Fact } from "@/app/_components/fact";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { useFormat } from "@/app/_components/use-format";

type Outputs = inferRouterOutputs<AppRouter>;
type Vm = Outputs["vms"]["get"];
type Disks = Outputs["storage"]["vmDisks"];
type Disk = Disks["disks"][number];

type T = ReturnType<typeof useTranslations<"vmDisks">>;

/** Where a change took effect, as the `where` choice of the notices' messages. */
function whereApplied(live: boolean, persistent: boolean): "both" | "live" | "next" {
  if (live && persistent) return "both";
  if (live) return "live";
  return "next";
}

/** A disk's source: its pool and volume or its path (names, never translated), else our word for it. */
function sourceOf(disk: Disk, t: T): { text: string; name: boolean } {
  if (disk.volume) return { text: `${disk.volume.pool} / ${disk.volume.volume}`, name: true };
  if (disk.path) return { text: disk.path, name: true };
  return { text: disk.type === "network" ? t("source.network") : t("source.empty"), name: false };
}

const sourceText = (disk: Disk, t: T) => sourceOf(disk, t).text;

const DEVICES = ["disk", "cdrom", "floppy", "lun"] as const;

/** The kind of drive in words ("disk", "CD-ROM"); an unknown kind is libvirt's word. */
function deviceWord(device: string, t: T): string {
  return (DEVICES as readonly string[]).includes(device) ? t(`device.${device as (typeof DEVICES)[number]}`) : device;
}

function useDisksQueries(initialVm: Vm, initialDisks: Disks) {
  const trpc = useTRPC();
  const ref = { hostId: initialVm.hostId, uuid: initialVm.uuid };
  const { data: vm } = useQuery({ ...trpc.vms.get.queryOptions(ref), initialData: initialVm });
  const { data: disks } = useQuery({ ...trpc.storage.vmDisks.queryOptions(ref), initialData: initialDisks });
  // A start, a stop or a changed definition may change the drives, their sizes and the boot order.
  useLiveRefetch(["domain.lifecycle", "domain.metadata"], (event) =>
    event.hostId === ref.hostId && event.uuid === ref.uuid ? [trpc.storage.vmDisks.queryKey(ref), trpc.vms.get.queryKey(ref)] : [],
  );
  return { vm, disks };
}

/** After a change: this tab's drives, the VM (its missing-file warnings), and the pools' volume lists (what is attached where). */
function useReread(vm: Vm) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const vmCache = useVmCache();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.storage.vmDisks.queryKey({ hostId: vm.hostId, uuid: vm.uuid }) });
    void queryClient.invalidateQueries({ queryKey: trpc.storage.volumes.pathKey() });
    vmCache.reread(vm);
  };
}

export function DisksTab({ initialVm, initialDisks, can }: { initialVm: Vm; initialDisks: Disks; can: { edit: boolean; storageRead: boolean } }) {
  const { vm, disks } = useDisksQueries(initialVm, initialDisks);
  const t = useTranslations("vmDisks");
  const mono = (chunks: ReactNode) => (
    <span className="break-all font-mono" translate="no">
      {chunks}
    </span>
  );
  return (
    <div className="space-y-4">
      {disks.disks.length === 0 ? (
        <p className="card text-sm">
          {vm.directKernel
            ? vm.directKernel.initrd
              ? t.rich("noDisksKernelInitrd", { kernel: vm.directKernel.kernel, initrd: vm.directKernel.initrd, mono })
              : t.rich("noDisksKernel", { kernel: vm.directKernel.kernel, mono })
            : t("noDisks")}
        </p>
      ) : (
        <ul className="grid grid-cols-1 gap-4 lg:grid-cols-2" aria-label={t("drives")}>
          {disks.disks.map((d) => (
            <DiskCard key={d.target} vm={vm} disk={d} running={disks.running} canEdit={can.edit} canPickMedia={can.storageRead} />
          ))}
        </ul>
      )}
      {can.edit && can.storageRead && <AttachDisk vm={vm} running={disks.running} />}
      {/* Keyed by the saved order: when it changes elsewhere (another tab, virsh), the editor starts from it again. */}
      <BootOrder key={JSON.stringify(disks.boot.order)} vm={vm} disks={disks} canEdit={can.edit} />
    </div>
  );
}

function DiskCard({ vm, disk, running, canEdit, canPickMedia }: { vm: Vm; disk: Disk; running: boolean; canEdit: boolean; canPickMedia: boolean }) {
  const t = useTranslations("vmDisks");
  const f = useFormat();
  const hydrated = useHydrated();
  const [open, setOpen] = useState<"grow" | "media" | "detach" | null>(null);
  const panelId = useId();
  const headingId = useId();
  const removable = disk.device === "cdrom" || disk.device === "floppy";
  const missing = vm.missingFiles.filter((m) => m.target === disk.target);
  const toggle = (panel: "grow" | "media") => setOpen(open === panel ? null : panel);
  return (
    <li className="card space-y-3" aria-labelledby={headingId} data-testid={`disk-${disk.target}`}>
      <h3 id={headingId} className="flex flex-wrap items-baseline gap-2 font-semibold">
        <span className="font-mono">{disk.target}</span>
        <span className="text-sm font-normal text-slate-600 dark:text-slate-400">{deviceWord(disk.device, t)}</span>
      </h3>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
        <Fact label={t("card.source")} wide className="break-all font-mono">
          <span translate={sourceOf(disk, t).name ? "no" : undefined}>{sourceText(disk, t)}</span>
        </Fact>
        {disk.volume && disk.path && (
          <Fact label={t("card.file")} wide className="break-all font-mono text-xs">
            <span translate="no">{disk.path}</span>
          </Fact>
        )}
        <Fact label={t("card.size")}>{disk.capacityBytes === null ? "—" : f.bytes(disk.capacityBytes)}</Fact>
        <Fact label={t("card.allocated")}>{disk.allocationBytes === null ? "—" : f.bytes(disk.allocationBytes)}</Fact>
        <Fact label={t("card.bus")}>
          <span translate="no">{disk.bus}</span>
        </Fact>
        <Fact label={t("card.format")}>
          <span translate="no">{disk.format ?? "—"}</span>
        </Fact>
        <Fact label={t("card.readOnly")}>{disk.readonly ? t("card.yes") : t("card.no")}</Fact>
      </dl>
      {missing.map((m) => (
        <p key={m.path} className="text-sm text-red-700 dark:text-red-300">
          {t.rich("card.missing", {
            backing: m.backing ? "yes" : "no",
            off: vm.state === "shutoff" ? "yes" : "no",
            path: m.path,
            mono: (chunks) => (
              <span className="break-all font-mono" translate="no">
                {chunks}
              </span>
            ),
          })}
        </p>
      ))}
      {canEdit && (
        <div className="flex flex-wrap gap-2">
          {disk.device === "disk" && (
            <button
              type="button"
              className="btn btn-secondary"
              aria-expanded={open === "grow"}
              aria-controls={open === "grow" ? panelId : undefined}
              disabled={!hydrated}
              onClick={() => toggle("grow")}
            >
              {t("card.grow")}
            </button>
          )}
          {removable && canPickMedia && (
            <button
              type="button"
              className="btn btn-secondary"
              aria-expanded={open === "media"}
              aria-controls={open === "media" ? panelId : undefined}
              disabled={!hydrated}
              onClick={() => toggle("media")}
            >
              {t("card.insertIso")}
            </button>
          )}
          {removable && disk.path && <EjectButton vm={vm} disk={disk} />}
          <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setOpen("detach")}>
            {t("card.detach")}
          </button>
        </div>
      )}
      {open === "grow" && (
        <div id={panelId}>
          <GrowForm vm={vm} disk={disk} running={running} onDone={() => setOpen(null)} />
        </div>
      )}
      {open === "media" && (
        <div id={panelId}>
          <MediaForm vm={vm} disk={disk} onDone={() => setOpen(null)} />
        </div>
      )}
      {open === "detach" && <DetachDialog vm={vm} disk={disk} running={running} onDone={() => setOpen(null)} />}
    </li>
  );
}

function GrowForm({ vm, disk, running, onDone }: { vm: Vm; disk: Disk; running: boolean; onDone: () => void }) {
  const t = useTranslations("vmDisks");
  const f = useFormat();
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const hydrated = useHydrated();
  const id = useId();
  const [sizeText, setSizeText] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const grow = useMutation(trpc.storage.growDisk.mutationOptions({ onSettled: reread }));
  const now = disk.capacityBytes;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const bytes = parseSize(sizeText);
    if (bytes === null) return setLocalError(t("grow.enterSize"));
    if (now !== null && bytes < now) return setLocalError(t("grow.onlyGrow", { size: f.bytes(bytes), now: f.bytes(now) }));
    if (now !== null && bytes === now) return setLocalError(t("grow.same", { size: f.bytes(now) }));
    setLocalError(null);
    grow.mutate(
      { hostId: vm.hostId, uuid: vm.uuid, target: disk.target, capacityBytes: bytes },
      {
        onSuccess: (result) => {
          toasts.success(
            `disk ${vm.hostId}/${vm.uuid}/${disk.target}`,
            t("grow.done", { target: disk.target, vm: vm.name, size: f.bytes(result.capacityBytes), live: result.live ? "yes" : "no" }),
          );
          onDone();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <TextField
        id={`${id}-size`}
        label={t("grow.label", { target: disk.target })}
        name="size"
        autoComplete="off"
        required
        value={sizeText}
        placeholder={now === null ? t("grow.placeholder") : f.bytes(now * 2)}
        onChange={(e) => setSizeText(e.target.value)}
        error={localError}
        hint={t("grow.hint", { known: now === null ? "no" : "yes", size: now === null ? "" : f.bytes(now), running: running ? "yes" : "no" })}
      />
      <FormStatus error={grow.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={!hydrated || grow.isPending}>
          {grow.isPending ? t("grow.pending") : t("grow.submit")}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          {t("grow.cancel")}
        </button>
      </div>
    </form>
  );
}

/** Volumes an ISO drive can take: ISO images, by format or by name. */
function isIso(volume: { name: string; format: string | null }): boolean {
  return volume.format === "iso" || volume.name.toLowerCase().endsWith(".iso");
}

function MediaForm({ vm, disk, onDone }: { vm: Vm; disk: Disk; onDone: () => void }) {
  const t = useTranslations("vmDisks");
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const id = useId();
  const pools = useQuery(trpc.storage.pools.queryOptions({ hostId: vm.hostId }));
  const activePools = (pools.data ?? []).filter((p) => p.active);
  const [pool, setPool] = useState("");
  const chosenPool = pool || activePools[0]?.name || "";
  const volumes = useQuery({ ...trpc.storage.volumes.queryOptions({ hostId: vm.hostId, pool: chosenPool }), enabled: chosenPool !== "" });
  const isos = (volumes.data ?? []).filter(isIso);
  const change = useMutation(trpc.storage.changeMedia.mutationOptions({ onSettled: reread }));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const volume = String(new FormData(event.currentTarget).get("volume") ?? "");
    change.mutate(
      { hostId: vm.hostId, uuid: vm.uuid, target: disk.target, media: { pool: chosenPool, volume } },
      {
        onSuccess: (result) => {
          toasts.success(
            `drive ${vm.hostId}/${vm.uuid}/${disk.target}`,
            t(`media.done.${whereApplied(result.live, result.persistent)}`, { volume, target: disk.target, vm: vm.name }),
          );
          onDone();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <Field id={`${id}-pool`} label={t("media.pool")}>
        <select id={`${id}-pool`} className="input mt-1" value={chosenPool} onChange={(e) => setPool(e.target.value)}>
          <Options choices={activePools.map((p) => p.name)} />
        </select>
      </Field>
      <Field id={`${id}-volume`} label={t("media.iso")} hint={volumes.isSuccess && isos.length === 0 ? t("media.noIso") : undefined}>
        <select id={`${id}-volume`} name="volume" className="input mt-1" required disabled={isos.length === 0}>
          <Options choices={isos.map((v) => v.name)} />
        </select>
      </Field>
      <FormStatus error={pools.error?.message ?? volumes.error?.message ?? change.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={change.isPending || isos.length === 0}>
          {change.isPending ? t("media.pending") : t("media.submit")}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          {t("media.cancel")}
        </button>
      </div>
    </form>
  );
}

function EjectButton({ vm, disk }: { vm: Vm; disk: Disk }) {
  const t = useTranslations("vmDisks");
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const hydrated = useHydrated();
  const key = `drive ${vm.hostId}/${vm.uuid}/${disk.target}`;
  const eject = useMutation(
    trpc.storage.changeMedia.mutationOptions({
      onSettled: reread,
      onSuccess: (result) => toasts.success(key, t(`media.ejected.${whereApplied(result.live, result.persistent)}`, { target: disk.target, vm: vm.name })),
      onError: (error) => toasts.error(key, t("media.ejectFailed", { target: disk.target, vm: vm.name, error: error.message })),
    }),
  );
  return (
    <button
      type="button"
      className="btn btn-secondary"
      disabled={!hydrated || eject.isPending}
      onClick={() => eject.mutate({ hostId: vm.hostId, uuid: vm.uuid, target: disk.target, media: null })}
    >
      {eject.isPending ? t("media.ejecting") : t("media.eject")}
    </button>
  );
}

function DetachDialog({ vm, disk, running, onDone }: { vm: Vm; disk: Disk; running: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const t = useTranslations("vmDisks");
  const detach = useMutation(trpc.storage.detachDisk.mutationOptions({ onSettled: reread }));
  const kind = deviceWord(disk.device, t);
  const source = sourceOf(disk, t);
  return (
    <ConfirmDialog
      title={<span className="break-all">{t("detach.title", { kind, target: disk.target, vm: vm.name })}</span>}
      confirmLabel={t("detach.confirm")}
      pendingLabel={t("detach.pending")}
      mutation={detach}
      onCancel={onDone}
      onConfirm={() =>
        detach.mutate(
          { hostId: vm.hostId, uuid: vm.uuid, target: disk.target },
          {
            onSuccess: (result) => {
              toasts.success(
                `disk ${vm.hostId}/${vm.uuid}/${disk.target}`,
                result.pending
                  ? t("detach.pendingDone", { target: disk.target, vm: vm.name })
                  : t(`detach.done.${whereApplied(result.live, result.persistent)}`, { target: disk.target, vm: vm.name }),
              );
              onDone();
            },
          },
        )
      }
    >
      <p>
        {t.rich("detach.body", {
          running: running ? "yes" : "no",
          source: source.text,
          mono: (chunks) => (
            <span className="break-all font-mono" translate={source.name ? "no" : undefined}>
              {chunks}
            </span>
          ),
        })}
      </p>
    </ConfirmDialog>
  );
}

const NEW_DISK_IDS = {
  pool: "attach-pool",
  name: "attach-name",
  capacityBytes: "attach-size",
  format: "attach-format",
  bus: "attach-bus",
  volume: "attach-volume",
} as const;

/** The attach form's fields by API path, labelled as the form shows them (the server's refusals name them so). */
function newDiskFields(t: T) {
  return {
    pool: { id: NEW_DISK_IDS.pool, label: t("attach.pool") },
    name: { id: NEW_DISK_IDS.name, label: t("attach.name") },
    capacityBytes: { id: NEW_DISK_IDS.capacityBytes, label: t("attach.size"), unit: "bytes" },
    format: { id: NEW_DISK_IDS.format, label: t("attach.format") },
    bus: { id: NEW_DISK_IDS.bus, label: t("attach.bus") },
    volume: { id: NEW_DISK_IDS.volume, label: t("attach.volume") },
  } as const;
}

function AttachDisk({ vm, running }: { vm: Vm; running: boolean }) {
  const t = useTranslations("vmDisks");
  const f = useFormat();
  const NEW_DISK_FIELDS = useMemo(() => newDiskFields(t), [t]);
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const [mode, setMode] = useState<"new" | "existing">("new");
  const [pool, setPool] = useState("");
  const [sizeText, setSizeText] = useState("10 GiB");
  const pools = useQuery(trpc.storage.pools.queryOptions({ hostId: vm.hostId }));
  const activePools = (pools.data ?? []).filter((p) => p.active);
  const chosenPool = pool || activePools[0]?.name || "";
  const volumes = useQuery({
    ...trpc.storage.volumes.queryOptions({ hostId: vm.hostId, pool: chosenPool }),
    enabled: mode === "existing" && chosenPool !== "",
  });
  const free = (volumes.data ?? []).filter((v) => v.usedBy.length === 0 && !isIso(v) && (v.type === "file" || v.type === "block"));
  const onSuccess = (result: { target: string; live: boolean; persistent: boolean }, what: { volume: string } | { name: string; size: string }) => {
    const where = whereApplied(result.live, result.persistent);
    const args = { vm: vm.name, target: result.target };
    toasts.success(
      `disk ${vm.hostId}/${vm.uuid}/${result.target}`,
      "volume" in what ? t(`attach.doneExisting.${where}`, { ...args, volume: what.volume }) : t(`attach.doneNew.${where}`, { ...args, ...what }),
    );
    // The name just used is taken now: the next attach starts from the defaults again.
    formRef.current?.reset();
    setSizeText("10 GiB");
  };
  const attachNew = useMutation(trpc.storage.attachNewDisk.mutationOptions({ onSettled: reread }));
  const attachExisting = useMutation(trpc.storage.attachDisk.mutationOptions({ onSettled: reread }));
  const pending = attachNew.isPending || attachExisting.isPending;
  const error = mode === "new" ? attachNew.error : attachExisting.error;
  const { formRef, byField, form, check } = useFieldErrors(error, NEW_DISK_FIELDS);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const bus = String(data.get("bus")) as "virtio" | "scsi" | "sata";
    if (mode === "existing") {
      const volume = String(data.get("volume") ?? "");
      if (!check(volume ? {} : { [NEW_DISK_FIELDS.volume.id]: t("attach.chooseVolume") })) return;
      attachExisting.mutate({ hostId: vm.hostId, uuid: vm.uuid, pool: chosenPool, volume, bus }, { onSuccess: (result) => onSuccess(result, { volume }) });
      return;
    }
    const name = String(data.get("name") ?? "").trim();
    const bytes = parseSize(sizeText);
    const found: Record<string, string> = {};
    if (!name) found[NEW_DISK_FIELDS.name.id] = t("attach.giveName");
    if (bytes === null) found[NEW_DISK_FIELDS.capacityBytes.id] = t("attach.enterSize");
    if (!check(found) || bytes === null) return;
    const format = String(data.get("format")) as "qcow2" | "raw";
    attachNew.mutate(
      { hostId: vm.hostId, uuid: vm.uuid, pool: chosenPool, name, format, capacityBytes: bytes, bus },
      { onSuccess: (result) => onSuccess(result, { name, size: f.bytes(bytes) }) },
    );
  }

  return (
    <section className="card space-y-3" aria-labelledby="attach-heading">
      <h3 id="attach-heading" className="font-semibold">
        {t("attach.heading")}
      </h3>
      <FieldErrorsContext.Provider value={byField}>
        <form ref={formRef} onSubmit={onSubmit} method="post" className="space-y-3" noValidate>
          <fieldset className="flex flex-wrap gap-x-6 text-sm">
            <legend className="sr-only">{t("attach.which")}</legend>
            {(
              [
                ["new", t("attach.modeNew")],
                ["existing", t("attach.modeExisting")],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex min-h-11 items-center gap-2">
                <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} className="size-5" />
                {label}
              </label>
            ))}
          </fieldset>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
            <Field id={NEW_DISK_FIELDS.pool.id} label={NEW_DISK_FIELDS.pool.label}>
              <select id={NEW_DISK_FIELDS.pool.id} name="pool" className="input mt-1" value={chosenPool} onChange={(e) => setPool(e.target.value)}>
                <Options choices={activePools.map((p) => p.name)} />
              </select>
            </Field>
            {mode === "new" ? (
              <>
                <TextField
                  id={NEW_DISK_FIELDS.name.id}
                  label={NEW_DISK_FIELDS.name.label}
                  name="name"
                  autoComplete="off"
                  mono
                  defaultValue={`${vm.name}-data.qcow2`}
                />
                <TextField
                  id={NEW_DISK_FIELDS.capacityBytes.id}
                  label={NEW_DISK_FIELDS.capacityBytes.label}
                  name="size"
                  autoComplete="off"
                  value={sizeText}
                  onChange={(e) => setSizeText(e.target.value)}
                  hint={t("attach.sizeHint")}
                />
                <Field id={NEW_DISK_FIELDS.format.id} label={NEW_DISK_FIELDS.format.label}>
                  <select id={NEW_DISK_FIELDS.format.id} name="format" className="input mt-1" defaultValue="qcow2">
                    <Options choices={["qcow2", "raw"]} />
                  </select>
                </Field>
              </>
            ) : (
              <Field
                id={NEW_DISK_FIELDS.volume.id}
                label={NEW_DISK_FIELDS.volume.label}
                hint={volumes.isSuccess && free.length === 0 ? t("attach.noFreeVolume") : undefined}
              >
                <select id={NEW_DISK_FIELDS.volume.id} name="volume" className="input mt-1" disabled={free.length === 0}>
                  <Options choices={free.map((v) => ({ value: v.name, label: t("attach.volumeOption", { name: v.name, size: f.bytes(v.capacityBytes) }) }))} />
                </select>
              </Field>
            )}
            <Field id={NEW_DISK_FIELDS.bus.id} label={NEW_DISK_FIELDS.bus.label} hint={running ? t("attach.busRunning") : undefined}>
              <select id={NEW_DISK_FIELDS.bus.id} name="bus" className="input mt-1" defaultValue="virtio">
                <Options
                  choices={[
                    { value: "virtio", label: t("attach.busVirtio") },
                    { value: "scsi", label: t("attach.busScsi") },
                    { value: "sata", label: t("attach.busSata") },
                  ]}
                />
              </select>
            </Field>
          </div>
          <FormStatus error={pools.error?.message ?? null} />
          <SubmitRow
            label={mode === "new" ? t("attach.submitNew") : t("attach.submitExisting")}
            pendingLabel={t("attach.pending")}
            pending={pending}
            error={form}
            className=""
          />
        </form>
      </FieldErrorsContext.Provider>
    </section>
  );
}

function deviceLabel(device: BootDevice, disks: Disks, t: T): string {
  if (device.kind === "nic") {
    const nic = disks.nics.find((n) => n.mac.toLowerCase() === device.mac.toLowerCase());
    return nic?.source ? t("boot.nicWithSource", { mac: device.mac, source: nic.source }) : t("boot.nic", { mac: device.mac });
  }
  const disk = disks.disks.find((d) => d.target === device.target);
  const kind = deviceWord(disk?.device ?? "disk", t);
  return disk ? t("boot.diskWithSource", { kind, target: device.target, source: sourceText(disk, t) }) : t("boot.disk", { kind, target: device.target });
}

const sameDevice = (a: BootDevice, b: BootDevice) =>
  a.kind === "disk" && b.kind === "disk" ? a.target === b.target : a.kind === "nic" && b.kind === "nic" && a.mac === b.mac;

function BootOrder({ vm, disks, canEdit }: { vm: Vm; disks: Disks; canEdit: boolean }) {
  const t = useTranslations("vmDisks");
  const label = (device: BootDevice) => deviceLabel(device, disks, t);
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const hydrated = useHydrated();
  const all: BootDevice[] = [
    ...disks.disks.map((d) => ({ kind: "disk" as const, target: d.target })),
    ...disks.nics.map((n) => ({ kind: "nic" as const, mac: n.mac })),
  ];
  const [order, setOrder] = useState<BootDevice[]>(disks.boot.order);
  const save = useMutation(trpc.storage.setBootOrder.mutationOptions({ onSettled: reread }));
  const editable = canEdit && disks.persistent;
  const unlisted = all.filter((d) => !order.some((o) => sameDevice(o, d)));
  const move = (i: number, by: -1 | 1) => {
    const next = [...order];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    setOrder(next);
  };

  return (
    <section className="card space-y-3" aria-labelledby="boot-heading">
      <h3 id="boot-heading" className="font-semibold">
        {t("boot.heading")}
      </h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {t("boot.intro")}
        {vm.directKernel && ` ${t("boot.directKernel")}`}
        {disks.boot.style === "os" && editable && ` ${t("boot.osStyle")}`}
      </p>
      {order.length === 0 ? (
        <p className="text-sm">{t("boot.none")}</p>
      ) : (
        <ol className="space-y-2 text-sm" aria-label={t("boot.list")}>
          {order.map((device, i) => (
            <li key={`${device.kind}:${device.kind === "disk" ? device.target : device.mac}`} className="flex flex-wrap items-center gap-2">
              <span className="min-w-0 flex-1 break-all">
                {i + 1}. {label(device)}
              </span>
              {editable && (
                <span className="flex gap-1">
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated || i === 0}
                    onClick={() => move(i, -1)}
                    aria-label={t("boot.moveUp", { device: label(device) })}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated || i === order.length - 1}
                    onClick={() => move(i, 1)}
                    aria-label={t("boot.moveDown", { device: label(device) })}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated}
                    onClick={() => setOrder(order.filter((_, j) => j !== i))}
                    aria-label={t("boot.removeLabel", { device: label(device) })}
                  >
                    {t("boot.remove")}
                  </button>
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
      {editable && unlisted.length > 0 && (
        <div className="flex flex-wrap gap-2">
          {unlisted.map((device) => (
            <button key={label(device)} type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setOrder([...order, device])}>
              {t("boot.add", { device: label(device) })}
            </button>
          ))}
        </div>
      )}
      {canEdit && !disks.persistent && <p className="text-sm">{t("boot.transient")}</p>}
      {editable && (
        <>
          <FormStatus error={save.error?.message ?? null} />
          <button
            type="button"
            className="btn btn-primary"
            disabled={!hydrated || save.isPending || order.length === 0}
            onClick={() =>
              save.mutate(
                { hostId: vm.hostId, uuid: vm.uuid, order },
                {
                  onSuccess: (result) =>
                    toasts.success(
                      `boot ${vm.hostId}/${vm.uuid}`,
                      result.nextStart ? t("boot.savedRunning", { vm: vm.name }) : t("boot.saved", { vm: vm.name }),
                    ),
                },
              )
            }
          >
            {save.isPending ? t("boot.saving") : t("boot.save")}
          </button>
        </>
      )}
    </section>
  );
}
