"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../../_components/trpc";
import { FormStatus } from "../../_components/form-status";
import { useHydrated } from "../../_components/use-hydrated";
import { suggestDhcpRange } from "./ipv4";

type NetworkSpec = inferRouterInputs<AppRouter>["networks"]["create"]["spec"];
type Mode = NetworkSpec["mode"];

const MODES: { value: Mode; label: string }[] = [
  { value: "nat", label: "NAT: guests reach out through the host" },
  { value: "isolated", label: "Isolated: guests and host only" },
  { value: "bridge", label: "Bridge: join an existing host bridge" },
];

export interface HostOption {
  id: string;
  name: string;
}

function Hint({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <span id={id} className="mt-1 block text-xs text-slate-500">
      {children}
    </span>
  );
}

function prefixHint(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) return "8 to 30; 24 is the usual 255.255.255.0.";
  return `A /${prefix} has ${(2 ** (32 - prefix) - 2).toLocaleString("en")} usable addresses.`;
}

/** Defines a network on a host (NAT, isolated or bridged), started and autostarted unless unticked. */
export function AddNetworkForm({ hosts }: { hosts: HostOption[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const [mode, setMode] = useState<Mode>("nat");
  const [address, setAddress] = useState("");
  const [prefix, setPrefix] = useState("24");
  const [dhcp, setDhcp] = useState(true);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(trpc.networks.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() }) }));
  const suggestion = suggestDhcpRange(address.trim(), Number(prefix));
  const routed = mode !== "bridge";

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const name = text("name");
    const bridge = text("bridge");
    let spec: NetworkSpec;
    if (mode === "bridge") {
      spec = { mode, name, bridge };
    } else {
      const start = text("dhcpStart") || suggestion?.start || "";
      const end = text("dhcpEnd") || suggestion?.end || "";
      spec = {
        mode,
        name,
        bridge: bridge || undefined,
        ipv4: { address: address.trim(), prefix: Number(prefix), dhcp: dhcp ? { start, end } : undefined },
      };
    }
    setCreated(null);
    create.mutate(
      { hostId: text("hostId") || hosts[0]?.id || "local", spec, start: form.get("start") === "on", autostart: form.get("autostart") === "on" },
      {
        onSuccess: (net) => {
          setCreated(net.name);
          formEl.reset();
          setMode("nat");
          setAddress("");
          setPrefix("24");
          setDhcp(true);
        },
      },
    );
  }

  return (
    <form onSubmit={onSubmit} method="post" className="grid grid-cols-1 gap-3 sm:grid-cols-2">
      {hosts.length > 1 && (
        <div className="text-sm">
          <label htmlFor="add-net-host">Host</label>
          <select id="add-net-host" name="hostId" className="input mt-1" defaultValue={hosts[0]?.id}>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name} ({h.id})
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="text-sm">
        <label htmlFor="add-net-name">Network name</label>
        <input id="add-net-name" name="name" required autoComplete="off" className="input mt-1" aria-describedby="add-net-name-hint" />
        <Hint id="add-net-name-hint">Letters, digits, dots, dashes and underscores.</Hint>
      </div>
      <div className="text-sm">
        <label htmlFor="add-net-mode">Mode</label>
        <select id="add-net-mode" name="mode" className="input mt-1" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
          {MODES.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <div className="text-sm">
        <label htmlFor="add-net-bridge">{routed ? "Bridge name (optional)" : "Host bridge"}</label>
        <input
          id="add-net-bridge"
          name="bridge"
          required={!routed}
          autoComplete="off"
          maxLength={15}
          className="input mt-1 font-mono"
          placeholder={routed ? "virbr10" : "br0"}
          aria-describedby="add-net-bridge-hint"
        />
        <Hint id="add-net-bridge-hint">{routed ? "Empty: libvirt picks the next free virbrN." : "An existing bridge on the host, e.g. br0; guests join the LAN behind it."}</Hint>
      </div>
      {routed && (
        <>
          <div className="text-sm">
            <label htmlFor="add-net-address">Host address</label>
            <input
              id="add-net-address"
              name="address"
              required
              autoComplete="off"
              inputMode="decimal"
              className="input mt-1 font-mono"
              placeholder="10.213.1.1"
              value={address}
              onChange={(e) => setAddress(e.target.value)}
              aria-describedby="add-net-address-hint"
            />
            <Hint id="add-net-address-hint">The host&apos;s address on the network: the guests&apos; gateway.</Hint>
          </div>
          <div className="text-sm">
            <label htmlFor="add-net-prefix">Prefix length</label>
            <input id="add-net-prefix" name="prefix" type="number" required min={8} max={30} className="input mt-1" value={prefix} onChange={(e) => setPrefix(e.target.value)} aria-describedby="add-net-prefix-hint" />
            <Hint id="add-net-prefix-hint">{prefixHint(Number(prefix))}</Hint>
          </div>
          <div className="flex items-center gap-2 text-sm sm:col-span-2">
            <input id="add-net-dhcp" name="dhcp" type="checkbox" checked={dhcp} onChange={(e) => setDhcp(e.target.checked)} />
            <label htmlFor="add-net-dhcp">Hand out addresses with DHCP</label>
          </div>
          {dhcp && (
            <>
              <div className="text-sm">
                <label htmlFor="add-net-dhcp-start">DHCP range start</label>
                <input id="add-net-dhcp-start" name="dhcpStart" autoComplete="off" inputMode="decimal" className="input mt-1 font-mono" placeholder={suggestion?.start ?? "10.213.1.2"} aria-describedby="add-net-dhcp-hint" />
              </div>
              <div className="text-sm">
                <label htmlFor="add-net-dhcp-end">DHCP range end</label>
                <input id="add-net-dhcp-end" name="dhcpEnd" autoComplete="off" inputMode="decimal" className="input mt-1 font-mono" placeholder={suggestion?.end ?? "10.213.1.254"} aria-describedby="add-net-dhcp-hint" />
              </div>
              <p id="add-net-dhcp-hint" className="text-xs text-slate-500 sm:col-span-2">
                {suggestion ? `Empty: ${suggestion.start} – ${suggestion.end}.` : "Inside the subnet, leaving out the host's address."}
              </p>
            </>
          )}
        </>
      )}
      <div className="flex flex-wrap gap-x-6 gap-y-2 text-sm sm:col-span-2">
        <div className="flex items-center gap-2">
          <input id="add-net-start" name="start" type="checkbox" defaultChecked />
          <label htmlFor="add-net-start">Start now</label>
        </div>
        <div className="flex items-center gap-2">
          <input id="add-net-autostart" name="autostart" type="checkbox" defaultChecked />
          <label htmlFor="add-net-autostart">Start at boot</label>
        </div>
      </div>
      <div className="space-y-3 sm:col-span-2">
        <FormStatus error={create.error?.message ?? null} success={created ? `Network ${created} created.` : null} />
        <button type="submit" className="btn btn-primary" disabled={!hydrated || create.isPending}>
          {create.isPending ? "Creating…" : "Create network"}
        </button>
      </div>
    </form>
  );
}
