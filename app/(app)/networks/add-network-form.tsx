"use client";

import { useMemo, useState } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { CheckboxField, Field, Options, TextField } from "@/app/_components/form-fields";
import { AddResourceForm, type AddCommon } from "@/app/_components/host-resources/add-resource-form";
import type { HostOption } from "@/app/_components/host-resources/host-resource-manager";
import { suggestDhcpRange } from "@/server/networks/ipv4";
import type { FieldMap } from "@/server/api/error-words";

type NetworkSpec = inferRouterInputs<AppRouter>["networks"]["create"]["spec"];
type Mode = NetworkSpec["mode"];

type T = ReturnType<typeof useTranslations<"networks">>;

const MODES: readonly Mode[] = ["nat", "isolated", "bridge"];

/** Where the server's refusals of a new network go. */
function fields(t: T): FieldMap {
  return {
    "spec.name": { id: "add-net-name", label: t("fields.name") },
    "spec.mode": { id: "add-net-mode", label: t("fields.mode") },
    "spec.bridge": { id: "add-net-bridge", label: t("fields.bridge") },
    "spec.ipv4.address": { id: "add-net-address", label: t("fields.address") },
    "spec.ipv4.prefix": { id: "add-net-prefix", label: t("fields.prefix") },
    "spec.ipv4.dhcp.start": { id: "add-net-dhcp-start", label: t("fields.dhcpStart") },
    "spec.ipv4.dhcp.end": { id: "add-net-dhcp-end", label: t("fields.dhcpEnd") },
    "spec.ipv4.dhcp": { id: "add-net-dhcp-start", label: t("fields.dhcp") },
    "spec.ipv4": { id: "add-net-address", label: t("fields.addressing") },
  };
}

function prefixHint(t: T, prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) return t("form.prefixRange");
  return t("form.prefixUsable", { prefix, count: 2 ** (32 - prefix) - 2 });
}

/** The addressing of a NAT or isolated network: the host's address, the prefix, and DHCP with a range suggested from them. */
function RoutedFields({
  address,
  setAddress,
  prefix,
  setPrefix,
  dhcp,
  setDhcp,
}: {
  address: string;
  setAddress: (v: string) => void;
  prefix: string;
  setPrefix: (v: string) => void;
  dhcp: boolean;
  setDhcp: (v: boolean) => void;
}) {
  const t = useTranslations("networks");
  const suggestion = suggestDhcpRange(address.trim(), Number(prefix));
  return (
    <>
      <TextField
        id="add-net-address"
        label={t("fields.address")}
        hint={t("form.addressHint")}
        mono
        name="address"
        required
        autoComplete="off"
        inputMode="decimal"
        placeholder="10.213.1.1"
        value={address}
        onChange={(e) => setAddress(e.target.value)}
      />
      <TextField
        id="add-net-prefix"
        label={t("fields.prefix")}
        hint={prefixHint(t, Number(prefix))}
        name="prefix"
        type="number"
        required
        min={8}
        max={30}
        value={prefix}
        onChange={(e) => setPrefix(e.target.value)}
      />
      <CheckboxField
        id="add-net-dhcp"
        name="dhcp"
        label={t("form.dhcpCheckbox")}
        className="sm:col-span-2"
        checked={dhcp}
        onChange={(e) => setDhcp(e.target.checked)}
      />
      {dhcp && (
        <>
          <TextField
            id="add-net-dhcp-start"
            label={t("fields.dhcpStart")}
            mono
            name="dhcpStart"
            autoComplete="off"
            inputMode="decimal"
            placeholder={suggestion?.start ?? "10.213.1.2"}
            aria-describedby="add-net-dhcp-hint"
          />
          <TextField
            id="add-net-dhcp-end"
            label={t("fields.dhcpEnd")}
            mono
            name="dhcpEnd"
            autoComplete="off"
            inputMode="decimal"
            placeholder={suggestion?.end ?? "10.213.1.254"}
            aria-describedby="add-net-dhcp-hint"
          />
          <p id="add-net-dhcp-hint" className="text-xs text-slate-500 dark:text-slate-400 sm:col-span-2">
            {suggestion ? t("form.dhcpEmpty", { start: suggestion.start, end: suggestion.end }) : t("form.dhcpInside")}
          </p>
        </>
      )}
    </>
  );
}

/** Defines a network on a host (NAT, isolated or bridged), started and autostarted unless unticked. */
export function AddNetworkForm({ hosts }: { hosts: HostOption[] }) {
  const t = useTranslations("networks");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>("nat");
  const [address, setAddress] = useState("");
  const [prefix, setPrefix] = useState("24");
  const [dhcp, setDhcp] = useState(true);
  const create = useMutation(trpc.networks.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() }) }));
  const routed = mode !== "bridge";
  const fieldMap = useMemo(() => fields(t), [t]);

  function input(form: FormData, common: AddCommon) {
    return { ...common, spec: specFrom(form) };
  }

  function specFrom(form: FormData): NetworkSpec {
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const name = text("name");
    const bridge = text("bridge");
    if (mode === "bridge") return { mode, name, bridge };
    const suggestion = suggestDhcpRange(address.trim(), Number(prefix));
    const start = text("dhcpStart") || suggestion?.start || "";
    const end = text("dhcpEnd") || suggestion?.end || "";
    return { mode, name, bridge: bridge || undefined, ipv4: { address: address.trim(), prefix: Number(prefix), dhcp: dhcp ? { start, end } : undefined } };
  }

  function reset() {
    setMode("nat");
    setAddress("");
    setPrefix("24");
    setDhcp(true);
  }

  return (
    <AddResourceForm noun="network" idPrefix="add-net" hosts={hosts} mutation={create} input={input} onCreated={reset} fields={fieldMap}>
      <TextField id="add-net-name" label={t("fields.name")} hint={t("form.nameHint")} name="name" required autoComplete="off" />
      <Field id="add-net-mode" label={t("fields.mode")}>
        <select id="add-net-mode" name="mode" className="input mt-1" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
          <Options choices={MODES.map((value) => ({ value, label: t(`modes.${value}`) }))} />
        </select>
      </Field>
      <TextField
        id="add-net-bridge"
        label={routed ? t("form.bridgeOptional") : t("form.hostBridge")}
        hint={routed ? t("form.bridgeOptionalHint") : t("form.hostBridgeHint")}
        mono
        name="bridge"
        required={!routed}
        autoComplete="off"
        maxLength={15}
        placeholder={routed ? t("form.bridgePlaceholder") : t("form.hostBridgePlaceholder")}
      />
      {routed && <RoutedFields address={address} setAddress={setAddress} prefix={prefix} setPrefix={setPrefix} dhcp={dhcp} setDhcp={setDhcp} />}
    </AddResourceForm>
  );
}
