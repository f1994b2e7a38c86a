"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ErrorExplained } from "@/app/_components/error-explained";
import { useHydrated } from "@/app/_components/use-hydrated";
import { describedBy, Field, FieldErrorsContext, hintId, Options, TextField } from "@/app/_components/form-fields";
import { hostChoices } from "@/app/_components/host-resources/add-resource-form";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { GiB, memoryMiB, parseSize } from "@/app/_components/sizes";
import type { FieldMap } from "@/server/api/error-words";
import { NoIsoHint } from "@/app/(app)/storage/no-iso-hint";
import { useCpuModeLabel, type CpuMode } from "@/app/_components/cpu-words";

type Install = "none" | "iso" | "cloudImage";
type Accelerator = "kvm" | "qemu";

const ACCELERATOR_LABEL: Record<Accelerator, string> = {
  kvm: "KVM (hardware virtualisation, fast)",
  qemu: "Emulation (TCG): slower, runs on any host",
};

/** Where the server's refusals go: the input's path → the control showing it. */
const FIELDS: FieldMap = {
  name: { id: "name", label: "Name" },
  vcpus: { id: "vcpus", label: "vCPUs" },
  memoryMiB: { id: "memory", label: "Memory", unit: "MiB" },
  accelerator: { id: "accelerator", label: "Accelerator" },
  cpu: { id: "cpuMode", label: "CPU" },
  cpuMode: { id: "cpuMode", label: "CPU" },
  "cpu.model": { id: "cpuModel", label: "CPU model" },
  cpuModel: { id: "cpuModel", label: "CPU model" },
  "install.pool": { id: "mediaPool", label: "Image pool" },
  "install.volume": { id: "mediaVolume", label: "Image" },
  "install.sizeGiB": { id: "diskSize", label: "System disk size", unit: "GiB" },
  "install.cloudInit.username": { id: "ciUser", label: "First user" },
  "install.cloudInit.password": { id: "ciPassword", label: "Its password" },
  "install.cloudInit.sshAuthorizedKeys": { id: "ciKeys", label: "SSH public keys" },
  "disks.*.sizeGiB": { id: "diskSize", label: "Disk size", unit: "GiB" },
  "disks.*.pool": { id: "diskPool", label: "Disk pool" },
  network: { id: "network", label: "Network" },
  tags: { id: "tags", label: "Tags" },
  description: { id: "description", label: "Description" },
};

/** The create-VM wizard on one page: every choice the service's spec takes, validated again on the server. */
export function CreateVmForm({ hosts }: { hosts: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const cpuModeLabel = useCpuModeLabel();
  const router = useRouter();
  const hydrated = useHydrated();
  const [hostId, setHostId] = useState(hosts[0]?.id ?? "local");
  const [install, setInstall] = useState<Install>("none");
  const [mediaPool, setMediaPool] = useState("");
  const [firmware, setFirmware] = useState<"bios" | "uefi">("bios");
  const pools = useQuery(trpc.storage.pools.queryOptions({ hostId }));
  const networks = useQuery(trpc.networks.list.queryOptions({ hostId }));
  const poolNames = (pools.data ?? []).filter((p) => p.active).map((p) => p.name);
  const media = useQuery({ ...trpc.storage.volumes.queryOptions({ hostId, pool: mediaPool }), enabled: install !== "none" && mediaPool !== "" });
  const processor = useQuery(trpc.vms.processorOptions.queryOptions({ hostId }));
  const [chosenAccelerator, setAccelerator] = useState<Accelerator | null>(null);
  const [chosenCpuMode, setCpuMode] = useState<CpuMode | null>(null);
  const [chosenCpuModel, setCpuModel] = useState<string | null>(null);
  const [memoryText, setMemoryText] = useState("2 GiB");
  const create = useMutation(trpc.vms.create.mutationOptions({ onSuccess: (vm) => router.push(`/vms/${hostId}/${vm.uuid}`) }));
  const errors = useFieldErrors(create.error, FIELDS);

  // The host's offer decides what can be chosen; until the user chooses, its defaults are shown.
  const offers = processor.data?.accelerators ?? [];
  const accelerator = chosenAccelerator ?? processor.data?.defaultAccelerator ?? null;
  const offer = offers.find((a) => a.accelerator === accelerator);
  const cpuModes = offer
    ? (["host-passthrough", "host-model", "custom"] as const).filter((m) =>
        m === "host-passthrough" ? offer.cpus.hostPassthrough : m === "host-model" ? offer.cpus.hostModel : offer.cpus.models.length > 0,
      )
    : [];
  const cpuMode = chosenCpuMode ?? offer?.defaultCpu.mode ?? null;
  const defaultModel = offer?.defaultCpu.mode === "custom" ? offer.defaultCpu.model : offer?.cpus.models[0];
  const cpuModel = chosenCpuModel ?? defaultModel ?? "";
  const memory = parseSize(memoryText, "MiB");
  const memoryNote = memory.ok ? memoryMiB(memory.bytes).note : null;

  function chooseAccelerator(value: Accelerator) {
    setAccelerator(value);
    setCpuMode(null);
    setCpuModel(null);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    const num = (k: string) => (text(k) === "" ? Number.NaN : Number(text(k)));
    const disk = parseSize(text("diskSize") || "0", "GiB");
    const found: Record<string, string> = {};
    if (!memory.ok) found.memory = `Memory ${memory.problem}.`;
    if (!disk.ok) found.diskSize = `Disk size ${disk.problem}.`;
    if (install !== "cloudImage" && disk.ok && disk.bytes > 0 && !text("diskPool")) {
      found.diskPool = "Choose a pool for the new disk, or make its size 0: this host has no active pool.";
    }
    if (!errors.check(found) || !memory.ok || !disk.ok) return;
    const diskGiB = disk.bytes / GiB;
    const network = text("network");
    create.mutate({
      hostId,
      name: text("name"),
      description: text("description") || undefined,
      vcpus: num("vcpus"),
      memoryMiB: memoryMiB(memory.bytes).mib,
      accelerator: accelerator ?? undefined,
      cpu: cpuMode === null ? undefined : cpuMode === "custom" ? { mode: "custom", model: cpuModel } : { mode: cpuMode },
      firmware,
      secureBoot: firmware === "uefi" && f.get("secureBoot") === "on",
      tpm: f.get("tpm") === "on",
      disks:
        install !== "cloudImage" && diskGiB > 0
          ? [{ source: "new", pool: text("diskPool"), sizeGiB: diskGiB, format: text("diskFormat") === "raw" ? "raw" : "qcow2", bus: "virtio" }]
          : [],
      install:
        install === "iso"
          ? { kind: "iso", pool: mediaPool, volume: text("mediaVolume") }
          : install === "cloudImage"
            ? {
                kind: "cloudImage",
                pool: mediaPool,
                volume: text("mediaVolume"),
                sizeGiB: diskGiB || 10,
                bus: "virtio",
                cloudInit: {
                  username: text("ciUser") || "admin",
                  sshAuthorizedKeys: text("ciKeys")
                    .split("\n")
                    .map((k) => k.trim())
                    .filter(Boolean),
                  password: text("ciPassword") || undefined,
                },
              }
            : { kind: "none" },
      network: network === "" ? { kind: "none" } : network === "@user" ? { kind: "user" } : { kind: "network", name: network },
      graphics: f.get("vnc") === "on" ? "vnc" : "none",
      tags: text("tags")
        .split(/[\s,]+/)
        .filter(Boolean),
      autostart: f.get("autostart") === "on",
      start: f.get("start") === "on",
    });
  }

  return (
    <FieldErrorsContext value={errors.byField}>
      <form ref={errors.formRef} onSubmit={onSubmit} method="post" noValidate className="card grid grid-cols-1 gap-4 sm:grid-cols-2">
        <Field id="host" label="Host">
          <select
            id="host"
            className="input mt-1"
            value={hostId}
            onChange={(e) => {
              setHostId(e.target.value);
              // Another host offers its own accelerators and CPUs: start again from its defaults.
              setAccelerator(null);
              setCpuMode(null);
              setCpuModel(null);
            }}
          >
            <Options choices={hostChoices(hosts)} />
          </select>
        </Field>
        <TextField id="name" label="Name" hint="Letters, digits, . _ - ; up to 64 characters." name="name" required maxLength={64} autoComplete="off" />
        <TextField id="vcpus" label="vCPUs" name="vcpus" type="number" inputMode="numeric" min={1} max={64} defaultValue={2} required />
        <TextField
          id="memory"
          label="Memory"
          hint={memoryNote ?? "With a unit: 2 GiB, 1536 MiB; a bare number is MiB."}
          name="memory"
          value={memoryText}
          onChange={(e) => setMemoryText(e.target.value)}
          required
          autoComplete="off"
        />
        <Field
          id="accelerator"
          label="Accelerator"
          hint={
            offers.length === 1
              ? "This host does not offer KVM, so VMs run emulated."
              : "KVM needs the host's virtualisation support; emulation is slower but always starts."
          }
        >
          <select
            id="accelerator"
            className="input mt-1"
            value={accelerator ?? ""}
            onChange={(e) => chooseAccelerator(e.target.value as Accelerator)}
            {...describedBy("accelerator", true, errors.byField.accelerator ?? null)}
          >
            {offers.length === 0 && <option value="">{processor.isPending ? "Reading the host…" : "The host's default"}</option>}
            <Options choices={offers.map((a) => ({ value: a.accelerator, label: ACCELERATOR_LABEL[a.accelerator] }))} />
          </select>
        </Field>
        <Field id="cpuMode" label="CPU" hint="What the guest sees as its processor. A named model keeps the VM movable between hosts.">
          <select
            id="cpuMode"
            className="input mt-1"
            value={cpuMode ?? ""}
            onChange={(e) => setCpuMode(e.target.value as CpuMode)}
            {...describedBy("cpuMode", true, errors.byField.cpuMode ?? null)}
          >
            {cpuModes.length === 0 && <option value="">The host&apos;s default</option>}
            <Options choices={cpuModes.map((m) => ({ value: m, label: cpuModeLabel(m) }))} />
          </select>
        </Field>
        {cpuMode === "custom" && offer && (
          <Field id="cpuModel" label="CPU model" hint="Only the models this host can provide in full with this accelerator.">
            <select
              id="cpuModel"
              className="input mt-1"
              value={cpuModel}
              onChange={(e) => setCpuModel(e.target.value)}
              {...describedBy("cpuModel", true, errors.byField.cpuModel ?? null)}
            >
              <Options choices={offer.cpus.models} />
            </select>
          </Field>
        )}
        <Field id="install" label="Install from">
          <select id="install" className="input mt-1" value={install} onChange={(e) => setInstall(e.target.value as Install)}>
            <option value="none">Nothing (empty disk, boot from network or later)</option>
            <option value="iso">An ISO image in a storage pool</option>
            <option value="cloudImage">A cloud image in a storage pool (copied as the system disk)</option>
          </select>
        </Field>
        {install !== "none" && (
          <>
            <Field id="mediaPool" label="Image pool">
              <select id="mediaPool" className="input mt-1" value={mediaPool} onChange={(e) => setMediaPool(e.target.value)} required>
                <Options choices={[{ value: "", label: "Choose a pool" }, ...poolNames]} />
              </select>
            </Field>
            <Field id="mediaVolume" label="Image">
              <select id="mediaVolume" name="mediaVolume" className="input mt-1" required>
                <Options choices={(media.data ?? []).map((v) => v.name)} />
              </select>
            </Field>
            {install === "iso" && <NoIsoHint hostId={hostId} pool={mediaPool} volumes={media.data} />}
          </>
        )}
        {install === "cloudImage" && (
          <>
            <TextField
              id="ciUser"
              label="First user"
              hint="Created by cloud-init on first boot, with sudo."
              name="ciUser"
              defaultValue="admin"
              autoComplete="off"
            />
            <TextField
              id="ciPassword"
              label="Its password (optional)"
              hint="Stored in the seed image in the pool; SSH keys are safer."
              name="ciPassword"
              type="password"
              autoComplete="new-password"
            />
            <Field id="ciKeys" label="SSH public keys" hint="One per line, as in authorized_keys." className="sm:col-span-2">
              <textarea id="ciKeys" name="ciKeys" rows={3} className="input mt-1 font-mono" aria-describedby={hintId("ciKeys")} />
            </Field>
            <p className="text-sm text-slate-600 sm:col-span-2 dark:text-slate-400">
              Serial console: the VM gets a serial port (ttyS0). Its console tab shows the login prompt only if the image prints to ttyS0 — the kernel option{" "}
              <code>console=ttyS0</code>, which most cloud images set.
            </p>
          </>
        )}
        <TextField
          id="diskSize"
          label={install === "cloudImage" ? "System disk size" : "New disk size"}
          hint={install === "cloudImage" ? "With a unit: 20 GiB; a bare number is GiB." : "With a unit: 20 GiB, 512 MiB; a bare number is GiB; 0 for none."}
          name="diskSize"
          defaultValue="20 GiB"
          autoComplete="off"
        />
        {install !== "cloudImage" && (
          <>
            <Field id="diskPool" label="Disk pool">
              <select id="diskPool" name="diskPool" className="input mt-1">
                <Options choices={poolNames} />
              </select>
            </Field>
            <Field id="diskFormat" label="Disk format" hint="qcow2 allows snapshots with memory; raw is slightly faster.">
              <select id="diskFormat" name="diskFormat" className="input mt-1" aria-describedby={hintId("diskFormat")}>
                <option value="qcow2">qcow2</option>
                <option value="raw">raw</option>
              </select>
            </Field>
          </>
        )}
        <Field id="network" label="Network">
          <select id="network" name="network" className="input mt-1" defaultValue="default">
            {(networks.data ?? []).map((n) => (
              <option key={n.name} value={n.name}>
                {n.name} ({n.forwardMode}
                {n.active ? "" : ", inactive"})
              </option>
            ))}
            <option value="@user">User-mode NAT (no libvirt network)</option>
            <option value="">None</option>
          </select>
        </Field>
        <Field id="firmware" label="Firmware">
          <select id="firmware" className="input mt-1" value={firmware} onChange={(e) => setFirmware(e.target.value as "bios" | "uefi")}>
            <option value="bios">BIOS</option>
            <option value="uefi">UEFI</option>
          </select>
        </Field>
        <TextField id="tags" label="Tags" hint="Separated by spaces or commas." name="tags" autoComplete="off" />
        <TextField id="description" label="Description" name="description" maxLength={4096} autoComplete="off" />
        <fieldset className="space-y-2 text-sm sm:col-span-2">
          <legend className="font-medium">Options</legend>
          {firmware === "uefi" && (
            <label className="flex items-center gap-2">
              <input type="checkbox" name="secureBoot" /> Secure Boot
            </label>
          )}
          <label className="flex items-center gap-2">
            <input type="checkbox" name="tpm" /> TPM 2.0 (emulated)
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="vnc" defaultChecked /> Graphical console (VNC)
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="autostart" /> Start with the host
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="start" defaultChecked /> Start now
          </label>
        </fieldset>
        <div className="space-y-3 sm:col-span-2">
          {create.error?.data?.explanation ? (
            <ErrorExplained error={create.error} />
          ) : (
            <FormStatus error={errors.form ?? pools.error?.message ?? processor.error?.message ?? null} />
          )}
          <button type="submit" className="btn btn-primary" disabled={!hydrated || create.isPending}>
            {create.isPending ? "Creating…" : "Create VM"}
          </button>
        </div>
      </form>
    </FieldErrorsContext>
  );
}
