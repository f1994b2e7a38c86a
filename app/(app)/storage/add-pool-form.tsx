"use client";

import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
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
type T = ReturnType<typeof useTranslations<"storage">>;

const TYPES: readonly PoolType[] = ["dir", "netfs", "logical"];
const NETFS_FORMATS: readonly NetfsFormat[] = ["auto", "nfs", "cifs", "glusterfs"];

/** Where the server's refusals of a new pool go; the path's label is the one the chosen type shows. */
function fieldsFor(type: PoolType, t: T): FieldMap {
  return {
    "spec.type": { id: "add-pool-type", label: t("addPool.poolType") },
    "spec.name": { id: "add-pool-name", label: t("addPool.poolName") },
    "spec.path": { id: "add-pool-path", label: type === "netfs" ? t("addPool.mountPoint") : t("addPool.dirPath") },
    "spec.host": { id: "add-pool-source-host", label: t("addPool.server") },
    "spec.sourcePath": { id: "add-pool-source-path", label: t("addPool.sourcePath") },
    "spec.format": { id: "add-pool-format", label: t("addPool.shareFormat") },
    "spec.vgName": { id: "add-pool-vg", label: t("addPool.volumeGroup") },
    "spec.devices": { id: "add-pool-devices", label: t("addPool.sourceDevices") },
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
  const t = useTranslations("storage.addPool");
  return (
    <>
      <TextField id="add-pool-source-host" label={t("server")} name="sourceHost" required autoComplete="off" placeholder={t("serverPlaceholder")} />
      <TextField id="add-pool-source-path" label={t("sourcePath")} name="sourcePath" required autoComplete="off" placeholder={t("sourcePathPlaceholder")} />
      <Field id="add-pool-format" label={t("shareFormat")}>
        <select id="add-pool-format" name="format" className="input mt-1" defaultValue="auto">
          <Options choices={NETFS_FORMATS} />
        </select>
      </Field>
    </>
  );
}

function LogicalFields() {
  const t = useTranslations("storage.addPool");
  return (
    <>
      <TextField id="add-pool-vg" label={t("volumeGroup")} hint={t("volumeGroupHint")} name="vgName" autoComplete="off" />
      <Field id="add-pool-devices" label={t("sourceDevices")} hint={t("sourceDevicesHint")}>
        <textarea
          id="add-pool-devices"
          name="devices"
          rows={2}
          className="input mt-1 font-mono"
          placeholder={t("sourceDevicesPlaceholder")}
          aria-describedby={hintId("add-pool-devices")}
        />
      </Field>
      <CheckboxField id="add-pool-build" name="build" label={t("build")} className="sm:col-span-2" />
    </>
  );
}

/** Defines a pool on a host; dir and netfs pools get their directory made, all start and autostart unless unticked. */
export function AddPoolForm({ hosts }: { hosts: HostOption[] }) {
  const t = useTranslations("storage");
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
    <AddResourceForm noun="pool" idPrefix="add-pool" hosts={hosts} mutation={define} input={input} onCreated={() => setType("dir")} fields={fieldsFor(type, t)}>
      <Field id="add-pool-type" label={t("addPool.poolType")}>
        <select id="add-pool-type" name="type" className="input mt-1" value={type} onChange={(e) => setType(e.target.value as PoolType)}>
          <Options choices={TYPES.map((value) => ({ value, label: t(`addPool.types.${value}`) }))} />
        </select>
      </Field>
      <TextField id="add-pool-name" label={t("addPool.poolName")} hint={t("addPool.poolNameHint")} name="name" required autoComplete="off" />
      {type === "netfs" && <NetfsFields />}
      {(type === "dir" || type === "netfs") && (
        <TextField
          id="add-pool-path"
          label={type === "dir" ? t("addPool.dirPath") : t("addPool.mountPoint")}
          hint={t("addPool.pathHint")}
          mono
          name="path"
          required
          autoComplete="off"
          placeholder={t("addPool.pathPlaceholder")}
        />
      )}
      {type === "logical" && <LogicalFields />}
    </AddResourceForm>
  );
}
