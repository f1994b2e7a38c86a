"use client";

import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { BootDevice } from "@/server/storage/disk-edits";
import { formatSize, parseSize } from "@/server/storage/sizes";
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

type Outputs = inferRouterOutputs<AppRouter>;
type Vm = Outputs["vms"]["get"];
type Disks = Outputs["storage"]["vmDisks"];
type Disk = Disks["disks"][number];

/** Where a change took effect, in the words the notices use. */
function whereApplied(live: boolean, persistent: boolean): string {
  if (live && persistent) return "now, and it stays after a restart";
  if (live) return "now only: this VM is transient, so the change goes when it stops";
  return "from the VM's next start";
}

function sourceText(disk: Disk): string {
  if (disk.volume) return `${disk.volume.pool} / ${disk.volume.volume}`;
  if (disk.path) return disk.path;
  return disk.type === "network" ? "network storage" : "empty";
}

const DEVICE_WORDS: Record<string, string> = { disk: "disk", cdrom: "CD-ROM", floppy: "floppy", lun: "LUN" };

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
  return (
    <div className="space-y-4">
      {disks.disks.length === 0 ? (
        <p className="card text-sm">
          {vm.directKernel ? (
            <>
              No disks: this VM needs none to start, because libvirt boots a kernel directly (direct kernel boot) from{" "}
              <span className="break-all font-mono">{vm.directKernel.kernel}</span>
              {vm.directKernel.initrd && (
                <>
                  {" "}
                  with the initial RAM disk <span className="break-all font-mono">{vm.directKernel.initrd}</span>
                </>
              )}
              .
            </>
          ) : (
            "No disks."
          )}
        </p>
      ) : (
        <ul className="grid grid-cols-1 gap-4 lg:grid-cols-2" aria-label="Drives">
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
        <span className="text-sm font-normal text-slate-600 dark:text-slate-400">{DEVICE_WORDS[disk.device] ?? disk.device}</span>
      </h3>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
        <Fact label="Source" wide className="break-all font-mono">
          {sourceText(disk)}
        </Fact>
        {disk.volume && disk.path && (
          <Fact label="File" wide className="break-all font-mono text-xs">
            {disk.path}
          </Fact>
        )}
        <Fact label="Size">{disk.capacityBytes === null ? "—" : formatSize(disk.capacityBytes)}</Fact>
        <Fact label="Allocated">{disk.allocationBytes === null ? "—" : formatSize(disk.allocationBytes)}</Fact>
        <Fact label="Bus">{disk.bus}</Fact>
        <Fact label="Format">{disk.format ?? "—"}</Fact>
        <Fact label="Read-only">{disk.readonly ? "yes" : "no"}</Fact>
      </dl>
      {missing.map((m) => (
        <p key={m.path} className="text-sm text-red-700 dark:text-red-300">
          {m.backing ? "Its backing file " : "Its file "}
          <span className="break-all font-mono">{m.path}</span> is missing on the host:{" "}
          {vm.state === "shutoff" ? "the VM will not start" : "the VM will not start again"} until this disk is detached or the file is restored.
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
              Grow…
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
              Insert ISO…
            </button>
          )}
          {removable && disk.path && <EjectButton vm={vm} disk={disk} />}
          <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setOpen("detach")}>
            Detach…
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
    if (bytes === null) return setLocalError("Enter the new size, such as 20 GiB or 512 MiB.");
    if (now !== null && bytes < now) return setLocalError(`A disk can only grow: ${formatSize(bytes)} is smaller than its ${formatSize(now)} now.`);
    if (now !== null && bytes === now) return setLocalError(`It is ${formatSize(now)} already.`);
    setLocalError(null);
    grow.mutate(
      { hostId: vm.hostId, uuid: vm.uuid, target: disk.target, capacityBytes: bytes },
      {
        onSuccess: (result) => {
          toasts.success(
            `disk ${vm.hostId}/${vm.uuid}/${disk.target}`,
            `Disk ${disk.target} of ${vm.name} grown to ${formatSize(result.capacityBytes)}: ${
              result.live ? "the guest sees the new size now" : "the guest sees it from the VM's next start"
            }. The partitions and file systems inside keep their size until grown in the guest.`,
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
        label={`New size of ${disk.target}`}
        name="size"
        autoComplete="off"
        required
        value={sizeText}
        placeholder={now === null ? "20 GiB" : formatSize(now * 2)}
        onChange={(e) => setSizeText(e.target.value)}
        error={localError}
        hint={`Now ${now === null ? "unknown" : formatSize(now)}. ${
          running ? "The VM runs: the disk grows through it, so the guest sees the new size at once." : "The VM is off: the volume grows in its pool."
        } Disks only grow here; shrinking would cut off data.`}
      />
      <FormStatus error={grow.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={!hydrated || grow.isPending}>
          {grow.isPending ? "Growing…" : "Grow disk"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          Cancel
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
            `${volume} is in drive ${disk.target} of ${vm.name} ${whereApplied(result.live, result.persistent)}.`,
          );
          onDone();
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <Field id={`${id}-pool`} label="Pool">
        <select id={`${id}-pool`} className="input mt-1" value={chosenPool} onChange={(e) => setPool(e.target.value)}>
          <Options choices={activePools.map((p) => p.name)} />
        </select>
      </Field>
      <Field
        id={`${id}-volume`}
        label="ISO image"
        hint={volumes.isSuccess && isos.length === 0 ? "This pool holds no ISO images; upload one on the Storage page." : undefined}
      >
        <select id={`${id}-volume`} name="volume" className="input mt-1" required disabled={isos.length === 0}>
          <Options choices={isos.map((v) => v.name)} />
        </select>
      </Field>
      <FormStatus error={pools.error?.message ?? volumes.error?.message ?? change.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn btn-primary" disabled={change.isPending || isos.length === 0}>
          {change.isPending ? "Inserting…" : "Insert"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function EjectButton({ vm, disk }: { vm: Vm; disk: Disk }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const hydrated = useHydrated();
  const key = `drive ${vm.hostId}/${vm.uuid}/${disk.target}`;
  const eject = useMutation(
    trpc.storage.changeMedia.mutationOptions({
      onSettled: reread,
      onSuccess: (result) => toasts.success(key, `Drive ${disk.target} of ${vm.name} is empty ${whereApplied(result.live, result.persistent)}.`),
      onError: (error) => toasts.error(key, `Ejecting drive ${disk.target} of ${vm.name}: ${error.message}`),
    }),
  );
  return (
    <button
      type="button"
      className="btn btn-secondary"
      disabled={!hydrated || eject.isPending}
      onClick={() => eject.mutate({ hostId: vm.hostId, uuid: vm.uuid, target: disk.target, media: null })}
    >
      {eject.isPending ? "Ejecting…" : "Eject"}
    </button>
  );
}

function DetachDialog({ vm, disk, running, onDone }: { vm: Vm; disk: Disk; running: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const toasts = useToasts();
  const reread = useReread(vm);
  const detach = useMutation(trpc.storage.detachDisk.mutationOptions({ onSettled: reread }));
  const kind = DEVICE_WORDS[disk.device] ?? disk.device;
  return (
    <ConfirmDialog
      title={<span className="break-all">{`Detach ${kind} ${disk.target} from ${vm.name}?`}</span>}
      confirmLabel="Detach"
      pendingLabel="Detaching…"
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
                  ? `Disk ${disk.target} is gone from ${vm.name}'s saved definition; the guest has not released it yet, so it leaves the running VM once the guest does.`
                  : `Disk ${disk.target} detached from ${vm.name} ${whereApplied(result.live, result.persistent)}. Its volume is kept.`,
              );
              onDone();
            },
          },
        )
      }
    >
      <p>
        {running ? "The VM runs: the guest loses the disk now, so unmount it in the guest first. " : "The VM will start without it. "}
        The volume itself stays in its pool (<span className="break-all font-mono">{sourceText(disk)}</span>).
      </p>
    </ConfirmDialog>
  );
}

const NEW_DISK_FIELDS = {
  pool: { id: "attach-pool", label: "Pool" },
  name: { id: "attach-name", label: "Volume name" },
  capacityBytes: { id: "attach-size", label: "Size", unit: "bytes" },
  format: { id: "attach-format", label: "Format" },
  bus: { id: "attach-bus", label: "Bus" },
  volume: { id: "attach-volume", label: "Volume" },
} as const;

function AttachDisk({ vm, running }: { vm: Vm; running: boolean }) {
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
  const onSuccess = (result: { target: string; live: boolean; persistent: boolean }, what: string) => {
    toasts.success(
      `disk ${vm.hostId}/${vm.uuid}/${result.target}`,
      `${what} attached to ${vm.name} as ${result.target} ${whereApplied(result.live, result.persistent)}.`,
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
      if (!check(volume ? {} : { [NEW_DISK_FIELDS.volume.id]: "Choose a volume: this pool has none that no VM uses." })) return;
      attachExisting.mutate(
        { hostId: vm.hostId, uuid: vm.uuid, pool: chosenPool, volume, bus },
        { onSuccess: (result) => onSuccess(result, `Volume ${volume}`) },
      );
      return;
    }
    const name = String(data.get("name") ?? "").trim();
    const bytes = parseSize(sizeText);
    const found: Record<string, string> = {};
    if (!name) found[NEW_DISK_FIELDS.name.id] = "Give the new volume a name, such as data.qcow2.";
    if (bytes === null) found[NEW_DISK_FIELDS.capacityBytes.id] = "Enter a size, such as 20 GiB or 512 MiB.";
    if (!check(found) || bytes === null) return;
    const format = String(data.get("format")) as "qcow2" | "raw";
    attachNew.mutate(
      { hostId: vm.hostId, uuid: vm.uuid, pool: chosenPool, name, format, capacityBytes: bytes, bus },
      { onSuccess: (result) => onSuccess(result, `New ${formatSize(bytes)} volume ${name}`) },
    );
  }

  return (
    <section className="card space-y-3" aria-labelledby="attach-heading">
      <h3 id="attach-heading" className="font-semibold">
        Attach a disk
      </h3>
      <FieldErrorsContext.Provider value={byField}>
        <form ref={formRef} onSubmit={onSubmit} method="post" className="space-y-3" noValidate>
          <fieldset className="flex flex-wrap gap-x-6 text-sm">
            <legend className="sr-only">Which volume</legend>
            {(
              [
                ["new", "A new volume"],
                ["existing", "An existing volume"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex min-h-11 items-center gap-2">
                <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} className="size-5" />
                {label}
              </label>
            ))}
          </fieldset>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
            <Field id={NEW_DISK_FIELDS.pool.id} label="Pool">
              <select id={NEW_DISK_FIELDS.pool.id} name="pool" className="input mt-1" value={chosenPool} onChange={(e) => setPool(e.target.value)}>
                <Options choices={activePools.map((p) => p.name)} />
              </select>
            </Field>
            {mode === "new" ? (
              <>
                <TextField id={NEW_DISK_FIELDS.name.id} label="Volume name" name="name" autoComplete="off" mono defaultValue={`${vm.name}-data.qcow2`} />
                <TextField
                  id={NEW_DISK_FIELDS.capacityBytes.id}
                  label="Size"
                  name="size"
                  autoComplete="off"
                  value={sizeText}
                  onChange={(e) => setSizeText(e.target.value)}
                  hint="Thin: it takes space on the host as the guest writes."
                />
                <Field id={NEW_DISK_FIELDS.format.id} label="Format">
                  <select id={NEW_DISK_FIELDS.format.id} name="format" className="input mt-1" defaultValue="qcow2">
                    <Options choices={["qcow2", "raw"]} />
                  </select>
                </Field>
              </>
            ) : (
              <Field
                id={NEW_DISK_FIELDS.volume.id}
                label="Volume"
                hint={volumes.isSuccess && free.length === 0 ? "Every disk volume of this pool is in use by a VM, or the pool has none." : undefined}
              >
                <select id={NEW_DISK_FIELDS.volume.id} name="volume" className="input mt-1" disabled={free.length === 0}>
                  <Options choices={free.map((v) => ({ value: v.name, label: `${v.name} (${formatSize(v.capacityBytes)})` }))} />
                </select>
              </Field>
            )}
            <Field
              id={NEW_DISK_FIELDS.bus.id}
              label="Bus"
              hint={running ? "A running VM takes new disks on virtio or SCSI; SATA disks attach only while it is off." : undefined}
            >
              <select id={NEW_DISK_FIELDS.bus.id} name="bus" className="input mt-1" defaultValue="virtio">
                <Options
                  choices={[
                    { value: "virtio", label: "virtio (fastest; Linux, Windows with drivers)" },
                    { value: "scsi", label: "SCSI (virtio-scsi)" },
                    { value: "sata", label: "SATA (any guest)" },
                  ]}
                />
              </select>
            </Field>
          </div>
          <FormStatus error={pools.error?.message ?? null} />
          <SubmitRow label={mode === "new" ? "Create and attach" : "Attach"} pendingLabel="Attaching…" pending={pending} error={form} className="" />
        </form>
      </FieldErrorsContext.Provider>
    </section>
  );
}

function deviceLabel(device: BootDevice, disks: Disks): string {
  if (device.kind === "nic") {
    const nic = disks.nics.find((n) => n.mac.toLowerCase() === device.mac.toLowerCase());
    return `Network ${device.mac}${nic?.source ? ` (${nic.source})` : ""}`;
  }
  const disk = disks.disks.find((d) => d.target === device.target);
  return `${DEVICE_WORDS[disk?.device ?? "disk"] ?? "disk"} ${device.target}${disk ? ` — ${sourceText(disk)}` : ""}`;
}

const sameDevice = (a: BootDevice, b: BootDevice) =>
  a.kind === "disk" && b.kind === "disk" ? a.target === b.target : a.kind === "nic" && b.kind === "nic" && a.mac === b.mac;

function BootOrder({ vm, disks, canEdit }: { vm: Vm; disks: Disks; canEdit: boolean }) {
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
        Boot order
      </h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        The firmware tries these in turn when the VM starts, so a change applies from its next start.
        {vm.directKernel && " This VM boots a kernel directly, which comes before any of them."}
        {disks.boot.style === "os" &&
          editable &&
          " Its definition now names kinds of device (“hard disk”, “CD-ROM”), shown here as the first of each; saving replaces that with this list, because libvirt does not allow both."}
      </p>
      {order.length === 0 ? (
        <p className="text-sm">No boot devices chosen.</p>
      ) : (
        <ol className="space-y-2 text-sm" aria-label="Boot devices, first to last">
          {order.map((device, i) => (
            <li key={`${device.kind}:${device.kind === "disk" ? device.target : device.mac}`} className="flex flex-wrap items-center gap-2">
              <span className="min-w-0 flex-1 break-all">
                {i + 1}. {deviceLabel(device, disks)}
              </span>
              {editable && (
                <span className="flex gap-1">
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated || i === 0}
                    onClick={() => move(i, -1)}
                    aria-label={`Move ${deviceLabel(device, disks)} up`}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated || i === order.length - 1}
                    onClick={() => move(i, 1)}
                    aria-label={`Move ${deviceLabel(device, disks)} down`}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    disabled={!hydrated}
                    onClick={() => setOrder(order.filter((_, j) => j !== i))}
                    aria-label={`Remove ${deviceLabel(device, disks)} from the boot order`}
                  >
                    Remove
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
            <button
              key={deviceLabel(device, disks)}
              type="button"
              className="btn btn-secondary"
              disabled={!hydrated}
              onClick={() => setOrder([...order, device])}
            >
              Add {deviceLabel(device, disks)}
            </button>
          ))}
        </div>
      )}
      {canEdit && !disks.persistent && (
        <p className="text-sm">This VM is transient (it has no saved definition), so there is no next start to set a boot order for.</p>
      )}
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
                      result.nextStart
                        ? `Boot order of ${vm.name} saved; it applies from the VM's next start (it runs now).`
                        : `Boot order of ${vm.name} saved; it applies when the VM starts.`,
                    ),
                },
              )
            }
          >
            {save.isPending ? "Saving…" : "Save boot order"}
          </button>
        </>
      )}
    </section>
  );
}
