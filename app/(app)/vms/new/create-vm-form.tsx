"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import { Field, hintId, Options, TextField } from "@/app/_components/form-fields";
import { hostChoices } from "@/app/_components/host-resources/add-resource-form";
import { NoIsoHint } from "@/app/(app)/storage/no-iso-hint";

type Install = "none" | "iso" | "cloudImage";

/** The create-VM wizard on one page: every choice the service's spec takes, validated again on the server. */
export function CreateVmForm({ hosts }: { hosts: { id: string; name: string }[] }) {
  const trpc = useTRPC();
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
  const create = useMutation(trpc.vms.create.mutationOptions({ onSuccess: (vm) => router.push(`/vms/${hostId}/${vm.uuid}`) }));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    const num = (k: string) => Number(text(k));
    const diskGiB = num("diskGiB");
    const network = text("network");
    create.mutate({
      hostId,
      name: text("name"),
      description: text("description") || undefined,
      vcpus: num("vcpus"),
      memoryMiB: num("memoryMiB"),
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
    <form onSubmit={onSubmit} method="post" className="card grid grid-cols-1 gap-4 sm:grid-cols-2">
      <Field id="host" label="Host">
        <select id="host" className="input mt-1" value={hostId} onChange={(e) => setHostId(e.target.value)}>
          <Options choices={hostChoices(hosts)} />
        </select>
      </Field>
      <TextField id="name" label="Name" hint="Letters, digits, . _ - ; up to 64 characters." name="name" required maxLength={64} autoComplete="off" />
      <TextField id="vcpus" label="vCPUs" name="vcpus" type="number" min={1} max={64} defaultValue={2} required />
      <TextField id="memoryMiB" label="Memory (MiB)" name="memoryMiB" type="number" min={64} step={64} defaultValue={2048} required />
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
        </>
      )}
      <TextField
        id="diskGiB"
        label={install === "cloudImage" ? "System disk size (GiB)" : "New disk size (GiB, 0 for none)"}
        name="diskGiB"
        type="number"
        min={0}
        step="any"
        defaultValue={20}
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
        <FormStatus error={create.error?.message ?? pools.error?.message ?? null} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated || create.isPending}>
          {create.isPending ? "Creating…" : "Create VM"}
        </button>
      </div>
    </form>
  );
}
