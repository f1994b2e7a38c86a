"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../../_components/trpc";
import { FormStatus } from "../../_components/form-status";
import { useHydrated } from "../../_components/use-hydrated";

type PoolSpec = inferRouterInputs<AppRouter>["storage"]["definePool"]["spec"];
type PoolType = PoolSpec["type"];
type NetfsFormat = NonNullable<Extract<PoolSpec, { type: "netfs" }>["format"]>;

const TYPES: { value: PoolType; label: string }[] = [
  { value: "dir", label: "Directory on the host" },
  { value: "netfs", label: "Network share (NFS, CIFS, GlusterFS)" },
  { value: "logical", label: "LVM volume group" },
];
const NETFS_FORMATS: readonly NetfsFormat[] = ["auto", "nfs", "cifs", "glusterfs"];

export interface HostOption {
  id: string;
  name: string;
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
      return { type, name, host: field(form, "sourceHost"), sourcePath: field(form, "sourcePath"), format: field(form, "format") as NetfsFormat, path: field(form, "path") };
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

function Hint({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <span id={id} className="mt-1 block text-xs text-slate-500">
      {children}
    </span>
  );
}

/** Defines a pool on a host; dir and netfs pools get their directory made, all start and autostart unless unticked. */
export function AddPoolForm({ hosts }: { hosts: HostOption[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const [type, setType] = useState<PoolType>("dir");
  const [created, setCreated] = useState<string | null>(null);
  const define = useMutation(trpc.storage.definePool.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.storage.pathKey() }) }));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const spec = specFrom(type, form);
    setCreated(null);
    define.mutate(
      {
        hostId: field(form, "hostId") || hosts[0]?.id || "local",
        spec,
        // Building a logical pool formats its devices: only when asked. Dir and netfs: the server default (make the directory).
        build: type === "logical" ? form.get("build") === "on" : undefined,
        start: form.get("start") === "on",
        autostart: form.get("autostart") === "on",
      },
      {
        onSuccess: (pool) => {
          setCreated(pool.name);
          formEl.reset();
          setType("dir");
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="grid grid-cols-1 gap-3 sm:grid-cols-2">
      {hosts.length > 1 && (
        <div className="text-sm">
          <label htmlFor="add-pool-host">Host</label>
          <select id="add-pool-host" name="hostId" className="input mt-1" defaultValue={hosts[0]?.id}>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name} ({h.id})
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="text-sm">
        <label htmlFor="add-pool-type">Pool type</label>
        <select id="add-pool-type" name="type" className="input mt-1" value={type} onChange={(e) => setType(e.target.value as PoolType)}>
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <div className="text-sm">
        <label htmlFor="add-pool-name">Pool name</label>
        <input id="add-pool-name" name="name" required autoComplete="off" className="input mt-1" aria-describedby="add-pool-name-hint" />
        <Hint id="add-pool-name-hint">Letters, digits, dots, dashes and underscores.</Hint>
      </div>
      {type === "netfs" && (
        <>
          <div className="text-sm">
            <label htmlFor="add-pool-source-host">Server</label>
            <input id="add-pool-source-host" name="sourceHost" required autoComplete="off" className="input mt-1" placeholder="nas.example.lan" />
          </div>
          <div className="text-sm">
            <label htmlFor="add-pool-source-path">Path on the server</label>
            <input id="add-pool-source-path" name="sourcePath" required autoComplete="off" className="input mt-1" placeholder="/export/vms" />
          </div>
          <div className="text-sm">
            <label htmlFor="add-pool-format">Share format</label>
            <select id="add-pool-format" name="format" className="input mt-1" defaultValue="auto">
              {NETFS_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </div>
        </>
      )}
      {(type === "dir" || type === "netfs") && (
        <div className="text-sm">
          <label htmlFor="add-pool-path">{type === "dir" ? "Directory on the host" : "Mount point on the host"}</label>
          <input id="add-pool-path" name="path" required autoComplete="off" className="input mt-1 font-mono" placeholder="/var/lib/libvirt/images/pool" aria-describedby="add-pool-path-hint" />
          <Hint id="add-pool-path-hint">An absolute path of its own (not /, /tmp, /etc …); it is created if missing.</Hint>
        </div>
      )}
      {type === "logical" && (
        <>
          <div className="text-sm">
            <label htmlFor="add-pool-vg">Volume group</label>
            <input id="add-pool-vg" name="vgName" autoComplete="off" className="input mt-1" aria-describedby="add-pool-vg-hint" />
            <Hint id="add-pool-vg-hint">Empty: the pool&apos;s name.</Hint>
          </div>
          <div className="text-sm">
            <label htmlFor="add-pool-devices">Source devices</label>
            <textarea id="add-pool-devices" name="devices" rows={2} className="input mt-1 font-mono" placeholder="/dev/sdb" aria-describedby="add-pool-devices-hint" />
            <Hint id="add-pool-devices-hint">One block device per line. Empty: use an existing volume group.</Hint>
          </div>
          <div className="flex items-start gap-2 text-sm sm:col-span-2">
            <input id="add-pool-build" name="build" type="checkbox" className="mt-1" />
            <label htmlFor="add-pool-build">Create the volume group on these devices (erases them)</label>
          </div>
        </>
      )}
      <div className="flex flex-wrap gap-x-6 gap-y-2 text-sm sm:col-span-2">
        <div className="flex items-center gap-2">
          <input id="add-pool-start" name="start" type="checkbox" defaultChecked />
          <label htmlFor="add-pool-start">Start now</label>
        </div>
        <div className="flex items-center gap-2">
          <input id="add-pool-autostart" name="autostart" type="checkbox" defaultChecked />
          <label htmlFor="add-pool-autostart">Start at boot</label>
        </div>
      </div>
      <div className="space-y-3 sm:col-span-2">
        <FormStatus error={define.error?.message ?? null} success={created ? `Pool ${created} created.` : null} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated || define.isPending}>
          {define.isPending ? "Creating…" : "Create pool"}
        </button>
      </div>
    </form>
  );
}
