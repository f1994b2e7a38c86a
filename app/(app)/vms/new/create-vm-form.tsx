"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ErrorExplained } from "@/app/_components/error-explained";
import { useHydrated } from "@/app/_components/use-hydrated";
import { describedBy, Field, FieldErrorsContext, hintId, Options, TextField } from "@/app/_components/form-fields";
import { hostChoices } from "@/app/_components/host-resources/add-resource-form";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { GiB, memoryMiB, parseSize, sizeProblemWords } from "@/app/_components/sizes";
import type { FieldMap } from "@/server/api/error-words";
import { NoIsoHint } from "@/app/(app)/storage/no-iso-hint";
import type { CpuMode } from "@/app/_components/cpu-words";

type Install = "none" | "iso" | "cloudImage";
type Accelerator = "kvm" | "qemu";

type Translate = ReturnType<typeof useTranslations<"vmCreate">>;

/** How the processor choices read (the catalog's cpu.modes keys). */
const CPU_MODE_KEY = { "host-passthrough": "hostPassthrough", "host-model": "hostModel", custom: "custom" } as const satisfies Record<CpuMode, string>;

/** Where the server's refusals go: the input's path → the control showing it, named as the form names it. */
function fieldMap(t: Translate): FieldMap {
  return {
    name: { id: "name", label: t("name.label") },
    vcpus: { id: "vcpus", label: t("vcpus") },
    memoryMiB: { id: "memory", label: t("memory.label"), unit: "MiB" },
    accelerator: { id: "accelerator", label: t("fields.accelerator") },
    cpu: { id: "cpuMode", label: t("cpu.label") },
    cpuMode: { id: "cpuMode", label: t("cpu.label") },
    "cpu.model": { id: "cpuModel", label: t("cpu.model") },
    cpuModel: { id: "cpuModel", label: t("cpu.model") },
    "install.pool": { id: "mediaPool", label: t("install.pool") },
    "install.volume": { id: "mediaVolume", label: t("fields.image") },
    "install.sizeGiB": { id: "diskSize", label: t("disk.systemSize"), unit: "GiB" },
    "install.cloudInit.username": { id: "ciUser", label: t("cloudInit.user") },
    "install.cloudInit.password": { id: "ciPassword", label: t("fields.password") },
    "install.cloudInit.sshAuthorizedKeys": { id: "ciKeys", label: t("cloudInit.keys") },
    "disks.*.sizeGiB": { id: "diskSize", label: t("fields.diskSize"), unit: "GiB" },
    "disks.*.pool": { id: "diskPool", label: t("disk.pool") },
    network: { id: "network", label: t("network.label") },
    tags: { id: "tags", label: t("tags.label") },
    description: { id: "description", label: t("description") },
  };
}

/** The create-VM wizard on one page: every choice the service's spec takes, validated again on the server. */
export function CreateVmForm({ hosts }: { hosts: { id: string; name: string }[] }) {
  const t = useTranslations("vmCreate");
  const tErrors = useTranslations("errors");
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
  const processor = useQuery(trpc.vms.processorOptions.queryOptions({ hostId }));
  const [chosenAccelerator, setAccelerator] = useState<Accelerator | null>(null);
  const [chosenCpuMode, setCpuMode] = useState<CpuMode | null>(null);
  const [chosenCpuModel, setCpuModel] = useState<string | null>(null);
  const [memoryText, setMemoryText] = useState("2 GiB");
  const create = useMutation(trpc.vms.create.mutationOptions({ onSuccess: (vm) => router.push(`/vms/${hostId}/${vm.uuid}`) }));
  const fields = useMemo(() => fieldMap(t), [t]);
  const errors = useFieldErrors(create.error, fields);

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
  const rounded = memory.ok ? memoryMiB(memory.bytes) : null;
  const memoryNote = rounded?.roundedUp ? t("memory.rounded", { mib: rounded.mib }) : null;

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
    if (!memory.ok) found.memory = sizeProblemWords(tErrors, t("memory.label"), memory.issue);
    if (!disk.ok) found.diskSize = sizeProblemWords(tErrors, t("disk.sizeLabel"), disk.issue);
    if (install !== "cloudImage" && disk.ok && disk.bytes > 0 && !text("diskPool")) {
      found.diskPool = t("disk.noPool");
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
        <Field id="host" label={t("host")}>
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
        <TextField id="name" label={t("name.label")} hint={t("name.hint")} name="name" required maxLength={64} autoComplete="off" />
        <TextField id="vcpus" label={t("vcpus")} name="vcpus" type="number" inputMode="numeric" min={1} max={64} defaultValue={2} required />
        <TextField
          id="memory"
          label={t("memory.label")}
          hint={memoryNote ?? t("memory.hint")}
          name="memory"
          value={memoryText}
          onChange={(e) => setMemoryText(e.target.value)}
          required
          autoComplete="off"
        />
        <Field id="accelerator" label={t("accelerator.label")} hint={offers.length === 1 ? t("accelerator.hintEmulatedOnly") : t("accelerator.hint")}>
          <select
            id="accelerator"
            className="input mt-1"
            value={accelerator ?? ""}
            onChange={(e) => chooseAccelerator(e.target.value as Accelerator)}
            {...describedBy("accelerator", true, errors.byField.accelerator ?? null)}
          >
            {offers.length === 0 && <option value="">{processor.isPending ? t("accelerator.reading") : t("accelerator.hostDefault")}</option>}
            <Options choices={offers.map((a) => ({ value: a.accelerator, label: t(`accelerator.${a.accelerator}`) }))} />
          </select>
        </Field>
        <Field id="cpuMode" label={t("cpu.label")} hint={t("cpu.hint")}>
          <select
            id="cpuMode"
            className="input mt-1"
            value={cpuMode ?? ""}
            onChange={(e) => setCpuMode(e.target.value as CpuMode)}
            {...describedBy("cpuMode", true, errors.byField.cpuMode ?? null)}
          >
            {cpuModes.length === 0 && <option value="">{t("cpu.hostDefault")}</option>}
            <Options choices={cpuModes.map((m) => ({ value: m, label: t(`cpu.modes.${CPU_MODE_KEY[m]}`) }))} />
          </select>
        </Field>
        {cpuMode === "custom" && offer && (
          <Field id="cpuModel" label={t("cpu.model")} hint={t("cpu.modelHint")}>
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
        <Field id="install" label={t("install.label")}>
          <select id="install" className="input mt-1" value={install} onChange={(e) => setInstall(e.target.value as Install)}>
            <option value="none">{t("install.none")}</option>
            <option value="iso">{t("install.iso")}</option>
            <option value="cloudImage">{t("install.cloudImage")}</option>
          </select>
        </Field>
        {install !== "none" && (
          <>
            <Field id="mediaPool" label={t("install.pool")}>
              <select id="mediaPool" className="input mt-1" value={mediaPool} onChange={(e) => setMediaPool(e.target.value)} required>
                <Options choices={[{ value: "", label: t("install.choosePool") }, ...poolNames]} />
              </select>
            </Field>
            <Field id="mediaVolume" label={t("install.image")}>
              <select id="mediaVolume" name="mediaVolume" className="input mt-1" required>
                <Options choices={(media.data ?? []).map((v) => v.name)} />
              </select>
            </Field>
            {install === "iso" && <NoIsoHint hostId={hostId} pool={mediaPool} volumes={media.data} />}
          </>
        )}
        {install === "cloudImage" && (
          <>
            <TextField id="ciUser" label={t("cloudInit.user")} hint={t("cloudInit.userHint")} name="ciUser" defaultValue="admin" autoComplete="off" />
            <TextField
              id="ciPassword"
              label={t("cloudInit.password")}
              hint={t("cloudInit.passwordHint")}
              name="ciPassword"
              type="password"
              autoComplete="new-password"
            />
            <Field id="ciKeys" label={t("cloudInit.keys")} hint={t("cloudInit.keysHint")} className="sm:col-span-2">
              <textarea id="ciKeys" name="ciKeys" rows={3} className="input mt-1 font-mono" aria-describedby={hintId("ciKeys")} />
            </Field>
            <p className="text-sm text-slate-600 sm:col-span-2 dark:text-slate-400">
              {t.rich("cloudInit.serialNote", { code: (words) => <code translate="no">{words}</code> })}
            </p>
          </>
        )}
        <TextField
          id="diskSize"
          label={install === "cloudImage" ? t("disk.systemSize") : t("disk.newSize")}
          hint={install === "cloudImage" ? t("disk.systemSizeHint") : t("disk.newSizeHint")}
          name="diskSize"
          defaultValue="20 GiB"
          autoComplete="off"
        />
        {install !== "cloudImage" && (
          <>
            <Field id="diskPool" label={t("disk.pool")}>
              <select id="diskPool" name="diskPool" className="input mt-1">
                <Options choices={poolNames} />
              </select>
            </Field>
            <Field id="diskFormat" label={t("disk.format")} hint={t("disk.formatHint")}>
              <select id="diskFormat" name="diskFormat" className="input mt-1" aria-describedby={hintId("diskFormat")}>
                <option value="qcow2">{t("disk.qcow2")}</option>
                <option value="raw">{t("disk.raw")}</option>
              </select>
            </Field>
          </>
        )}
        <Field id="network" label={t("network.label")}>
          <select id="network" name="network" className="input mt-1" defaultValue="default">
            {(networks.data ?? []).map((n) => (
              <option key={n.name} value={n.name}>
                {t(n.active ? "network.option" : "network.optionInactive", { name: n.name, mode: n.forwardMode })}
              </option>
            ))}
            <option value="@user">{t("network.user")}</option>
            <option value="">{t("network.none")}</option>
          </select>
        </Field>
        <Field id="firmware" label={t("firmware.label")}>
          <select id="firmware" className="input mt-1" value={firmware} onChange={(e) => setFirmware(e.target.value as "bios" | "uefi")}>
            <option value="bios">{t("firmware.bios")}</option>
            <option value="uefi">{t("firmware.uefi")}</option>
          </select>
        </Field>
        <TextField id="tags" label={t("tags.label")} hint={t("tags.hint")} name="tags" autoComplete="off" />
        <TextField id="description" label={t("description")} name="description" maxLength={4096} autoComplete="off" />
        <fieldset className="space-y-2 text-sm sm:col-span-2">
          <legend className="font-medium">{t("options.legend")}</legend>
          {firmware === "uefi" && (
            <label className="flex items-center gap-2">
              <input type="checkbox" name="secureBoot" /> {t("options.secureBoot")}
            </label>
          )}
          <label className="flex items-center gap-2">
            <input type="checkbox" name="tpm" /> {t("options.tpm")}
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="vnc" defaultChecked /> {t("options.vnc")}
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="autostart" /> {t("options.autostart")}
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" name="start" defaultChecked /> {t("options.start")}
          </label>
        </fieldset>
        <div className="space-y-3 sm:col-span-2">
          {create.error?.data?.explanation ? (
            <ErrorExplained error={create.error} />
          ) : (
            <FormStatus error={errors.form ?? pools.error?.message ?? processor.error?.message ?? null} />
          )}
          <button type="submit" className="btn btn-primary" disabled={!hydrated || create.isPending}>
            {create.isPending ? t("creating") : t("submit")}
          </button>
        </div>
      </form>
    </FieldErrorsContext>
  );
}
