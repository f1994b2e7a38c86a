"use client";

import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { CheckboxField, Field, hintId, Options, TextField } from "@/app/_components/form-fields";
import { AddResourceForm, type AddCommon } from "@/app/_components/host-resources/add-resource-form";
import type { HostOption } from "@/app/_components/host-resources/host-resource-manager";
import type { FieldMap } from "@/server/api/error-words";

type PoolSpec = inferRouterInputs<AppRouter>["storage"]["definePool"]["spec"];
type PoolType = PoolSpec["type"];
type NetfsFormat = NonNullable<Extract<PoolSpec, { type: "netfs" }>["format"]>;

const TYPES: { value: PoolType; label: string }[] = [
  { value: "dir", label: "Directory on the host" },
  { value: "netfs", label: "Network share (NFS, CIFS, GlusterFS)" },
  { value: "logical", label: "LVM volume group" },
];
const NETFS_FORMATS: readonly NetfsFormat[] = ["auto", "nfs", "cifs", "glusterfs"];

/** Where the server's refusals of a new pool go; the path's label is the one the chosen type shows. */
function fieldsFor(type: PoolType): FieldMap {
  return {
    "spec.type": { id: "add-pool-type", label: "Pool type" },
    "spec.name": { id: "add-pool-name", label: "Pool name" },
    "spec.path": { id: "add-pool-path", label: type === "netfs" ? "Mount point on the host" : "Directory on the host" },
    "spec.host": { id: "add-pool-source-host", label: "Server" },
    "spec.sourcePath": { id: "add-pool-source-path", label: "Path on the server" },
    "spec.format": { id: "add-pool-format", label: "Share format" },
    "spec.vgName": { id: "add-pool-vg", label: "Volume group" },
    "spec.devices": { id: "add-pool-devices", label: "Source devices" },
  };
}

function field(form: FormData, name: string): string {
  return String(form.get(name) ?? "").trim();
}

function specFrom(type: PoolType, form: FormData): PoolSpec {
  const name = field(form, "name");
  switch (type) {
    case "dir":
      return { type, name, path: field(form, "path") };
    case "netfs":
      return {
        type,
        name,
        host: field(form, "sourceHost"),
        sourcePath: field(form, "sourcePath"),
        format: field(form, "format") as NetfsFormat,
        path: field(form, "path"),
      };
    case "logical":
      return {
        type,
        name,
        vgName: field(form, "vgName") || name,
        devices: field(form, "devices")
          .split(/[\s,]+/)
          .filter(Boolean),
      };
  }
}

function NetfsFields() {
  return (
    <>
      <TextField id="add-pool-source-host" label="Server" name="sourceHost" required autoComplete="off" placeholder="nas.example.lan" />
      <TextField id="add-pool-source-path" label="Path on the server" name="sourcePath" required autoComplete="off" placeholder="/export/vms" />
      <Field id="add-pool-format" label="Share format">
        <select id="add-pool-format" name="format" className="input mt-1" defaultValue="auto">
          <Options choices={NETFS_FORMATS} />
        </select>
      </Field>
    </>
  );
}

function LogicalFields() {
  return (
    <>
      <TextField id="add-pool-vg" label="Volume group" hint="Empty: the pool's name." name="vgName" autoComplete="off" />
      <Field id="add-pool-devices" label="Source devices" hint="One block device per line. Empty: use an existing volume group.">
        <textarea
          id="add-pool-devices"
          name="devices"
          rows={2}
          className="input mt-1 font-mono"
          placeholder="/dev/sdb"
          aria-describedby={hintId("add-pool-devices")}
        />
      </Field>
      <CheckboxField id="add-pool-build" name="build" label="Create the volume group on these devices (erases them)" className="sm:col-span-2" />
    </>
  );
}

/** Defines a pool on a host; dir and netfs pools get their directory made, all start and autostart unless unticked. */
export function AddPoolForm({ hosts }: { hosts: HostOption[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [type, setType] = useState<PoolType>("dir");
  const define = useMutation(trpc.storage.definePool.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.storage.pathKey() }) }));
  const input = (form: FormData, common: AddCommon) => ({
    ...common,
    spec: specFrom(type, form),
    // Building a logical pool formats its devices: only when asked. Dir and netfs: the server default (make the directory).
    build: type === "logical" ? form.get("build") === "on" : undefined,
  });

  return (
    <AddResourceForm noun="pool" idPrefix="add-pool" hosts={hosts} mutation={define} input={input} onCreated={() => setType("dir")} fields={fieldsFor(type)}>
      <Field id="add-pool-type" label="Pool type">
        <select id="add-pool-type" name="type" className="input mt-1" value={type} onChange={(e) => setType(e.target.value as PoolType)}>
          <Options choices={TYPES} />
        </select>
      </Field>
      <TextField id="add-pool-name" label="Pool name" hint="Letters, digits, dots, dashes and underscores." name="name" required autoComplete="off" />
      {type === "netfs" && <NetfsFields />}
      {(type === "dir" || type === "netfs") && (
        <TextField
          id="add-pool-path"
          label={type === "dir" ? "Directory on the host" : "Mount point on the host"}
          hint="An absolute path of its own (not /, /tmp, /etc …); it is created if missing."
          mono
          name="path"
          required
          autoComplete="off"
          placeholder="/var/lib/libvirt/images/pool"
        />
      )}
      {type === "logical" && <LogicalFields />}
    </AddResourceForm>
  );
}
