"use client";

import { useState } from "react";
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

const MODES: { value: Mode; label: string }[] = [
  { value: "nat", label: "NAT: guests reach out through the host" },
  { value: "isolated", label: "Isolated: guests and host only" },
  { value: "bridge", label: "Bridge: join an existing host bridge" },
];

/** Where the server's refusals of a new network go. */
const FIELDS: FieldMap = {
  "spec.name": { id: "add-net-name", label: "Network name" },
  "spec.mode": { id: "add-net-mode", label: "Mode" },
  "spec.bridge": { id: "add-net-bridge", label: "Bridge" },
  "spec.ipv4.address": { id: "add-net-address", label: "Host address" },
  "spec.ipv4.prefix": { id: "add-net-prefix", label: "Prefix length" },
  "spec.ipv4.dhcp.start": { id: "add-net-dhcp-start", label: "DHCP range start" },
  "spec.ipv4.dhcp.end": { id: "add-net-dhcp-end", label: "DHCP range end" },
  "spec.ipv4.dhcp": { id: "add-net-dhcp-start", label: "DHCP range" },
  "spec.ipv4": { id: "add-net-address", label: "Addressing" },
};

function prefixHint(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) return "8 to 30; 24 is the usual 255.255.255.0.";
  return `A /${prefix} has ${(2 ** (32 - prefix) - 2).toLocaleString("en")} usable addresses.`;
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
  const suggestion = suggestDhcpRange(address.trim(), Number(prefix));
  return (
    <>
      <TextField
        id="add-net-address"
        label="Host address"
        hint="The host's address on the network: the guests' gateway."
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
        label="Prefix length"
        hint={prefixHint(Number(prefix))}
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
        label="Hand out addresses with DHCP"
        className="sm:col-span-2"
        checked={dhcp}
        onChange={(e) => setDhcp(e.target.checked)}
      />
      {dhcp && (
        <>
          <TextField
            id="add-net-dhcp-start"
            label="DHCP range start"
            mono
            name="dhcpStart"
            autoComplete="off"
            inputMode="decimal"
            placeholder={suggestion?.start ?? "10.213.1.2"}
            aria-describedby="add-net-dhcp-hint"
          />
          <TextField
            id="add-net-dhcp-end"
            label="DHCP range end"
            mono
            name="dhcpEnd"
            autoComplete="off"
            inputMode="decimal"
            placeholder={suggestion?.end ?? "10.213.1.254"}
            aria-describedby="add-net-dhcp-hint"
          />
          <p id="add-net-dhcp-hint" className="text-xs text-slate-500 dark:text-slate-400 sm:col-span-2">
            {suggestion ? `Empty: ${suggestion.start} – ${suggestion.end}.` : "Inside the subnet, leaving out the host's address."}
          </p>
        </>
      )}
    </>
  );
}

/** Defines a network on a host (NAT, isolated or bridged), started and autostarted unless unticked. */
export function AddNetworkForm({ hosts }: { hosts: HostOption[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>("nat");
  const [address, setAddress] = useState("");
  const [prefix, setPrefix] = useState("24");
  const [dhcp, setDhcp] = useState(true);
  const create = useMutation(trpc.networks.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() }) }));
  const routed = mode !== "bridge";

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
    <AddResourceForm noun="network" idPrefix="add-net" hosts={hosts} mutation={create} input={input} onCreated={reset} fields={FIELDS}>
      <TextField id="add-net-name" label="Network name" hint="Letters, digits, dots, dashes and underscores." name="name" required autoComplete="off" />
      <Field id="add-net-mode" label="Mode">
        <select id="add-net-mode" name="mode" className="input mt-1" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
          <Options choices={MODES} />
        </select>
      </Field>
      <TextField
        id="add-net-bridge"
        label={routed ? "Bridge name (optional)" : "Host bridge"}
        hint={routed ? "Empty: libvirt picks the next free virbrN." : "An existing bridge on the host, e.g. br0; guests join the LAN behind it."}
        mono
        name="bridge"
        required={!routed}
        autoComplete="off"
        maxLength={15}
        placeholder={routed ? "virbr10" : "br0"}
      />
      {routed && <RoutedFields address={address} setAddress={setAddress} prefix={prefix} setPrefix={setPrefix} dhcp={dhcp} setDhcp={setDhcp} />}
    </AddResourceForm>
  );
}
