"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { VmState } from "@/server/domains/power";
import { AGENT_CHANNEL, QGA_CHANNEL } from "@/server/domains/xml-names";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent, useLiveRefetch } from "@/app/_components/live-events";
import { VmStateBadge } from "@/app/_components/vm-state-badge";
import { PowerButtons } from "@/app/_components/power-buttons";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { CheckboxField, TextField } from "@/app/_components/form-fields";
import { useToasts } from "@/app/_components/toasts";
import { formatBytes } from "@/app/_components/format";
import { Fact } from "@/app/_components/fact";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { SnapshotsPanel } from "./snapshots-panel";
import { GuestPanel } from "./guest-panel";

type Vm = inferRouterOutputs<AppRouter>["vms"]["get"];

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section className="card space-y-3" aria-labelledby={id}>
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** What each channel lets the manager do, in the words of someone who has not read libvirt's docs. */
const CHANNEL_PURPOSE: Record<string, { name: string; gives: string }> = {
  [AGENT_CHANNEL]: { name: "KVM Manager agent", gives: "system facts, running commands, files" },
  [QGA_CHANNEL]: { name: "qemu-guest-agent", gives: "addresses, OS, file systems" },
};

function channelStatus(state: string | null): string {
  if (state === "connected") return "connected";
  if (state === "disconnected") return "not answering: install or start the agent in the guest";
  return "set up; connects while the VM runs";
}

function AgentChannels({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const hydrated = useHydrated();
  // The answer names the channels added, not their paths and states: this VM is read again.
  const add = useMutation(
    trpc.vms.addAgentChannels.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`channels ${vm.hostId}/${vm.uuid}`, `Agent connections added to ${vm.name}; they work from its next start.`);
      },
      onError: (error) => toasts.error(`channels ${vm.hostId}/${vm.uuid}`, `Adding agent connections to ${vm.name}: ${error.message}`),
    }),
  );
  const byName = new Map(vm.channels.map((c) => [c.name, c]));
  const missing = [AGENT_CHANNEL, QGA_CHANNEL].filter((n) => !byName.has(n));
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        A program inside the guest, reached over a private virtual serial port, lets KVM Manager read facts from inside the VM and act in it. Without one,
        &ldquo;Inside the guest&rdquo; stays empty.
      </p>
      <ul className="space-y-2 text-sm">
        {[AGENT_CHANNEL, QGA_CHANNEL].map((channel) => {
          const present = byName.get(channel);
          return (
            <li key={channel} className="break-words">
              <strong>{CHANNEL_PURPOSE[channel]?.name}</strong> ({CHANNEL_PURPOSE[channel]?.gives}): {present ? channelStatus(present.state) : "not set up"}
              <span className="block break-all font-mono text-xs text-slate-500">{channel}</span>
            </li>
          );
        })}
      </ul>
      {missing.length > 0 && canEdit && (
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => add.mutate({ hostId: vm.hostId, uuid: vm.uuid })}
          disabled={!hydrated || add.isPending}
        >
          {add.isPending ? "Adding…" : "Add agent connections"}
        </button>
      )}
    </>
  );
}

function DeleteVm({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const router = useRouter();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const remove = useMutation(
    trpc.vms.delete.mutationOptions({
      onSuccess: () => {
        // The list page shows its cached list when it has one: without this the VM would linger there.
        vmCache.remove(vm);
        toasts.success(`vm ${vm.hostId}/${vm.uuid}`, `VM ${vm.name} deleted.`);
        router.push("/vms");
      },
    }),
  );
  return (
    <>
      <p className="text-sm">Deleting stops the VM if it runs and removes its definition. This cannot be undone.</p>
      <button type="button" className="btn bg-red-700 text-white hover:bg-red-800" disabled={!hydrated} onClick={() => setAsking(true)}>
        Delete VM…
      </button>
      {asking && (
        <ConfirmDelete
          what={`VM ${vm.name}`}
          confirmLabel="Delete VM"
          mutation={remove}
          // Deleting cannot be undone: the name typed back proves this is the VM meant.
          ready={typed === vm.name}
          onConfirm={(form) => remove.mutate({ hostId: vm.hostId, uuid: vm.uuid, confirmName: typed, deleteStorage: form.get("deleteStorage") === "on" })}
          onCancel={() => {
            setAsking(false);
            setTyped("");
          }}
        >
          <p>
            It stops if it runs, and its definition and snapshots go. Type <span className="break-all font-mono">{vm.name}</span> to confirm.
          </p>
          <TextField id="confirmName" label="VM name" name="confirmName" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <CheckboxField id="deleteStorage" name="deleteStorage" label="Also delete its disk volumes" />
        </ConfirmDelete>
      )}
    </>
  );
}

export function VmDetail({
  initial,
  can,
}: {
  initial: Vm;
  can: { power: boolean; edit: boolean; delete: boolean; snapshot: boolean; guestRead: boolean; guestExec: boolean };
}) {
  const trpc = useTRPC();
  const ref = { hostId: initial.hostId, uuid: initial.uuid };
  const { data: vm } = useQuery({ ...trpc.vms.get.queryOptions(ref), initialData: initial });
  const vmCache = useVmCache();
  const mine = (event: { hostId: string; uuid: string }) => event.hostId === vm.hostId && event.uuid === vm.uuid;
  // Stopped, paused, resumed: the event says the new state, which is applied as it is; so does the agent
  // event for qemu-guest-agent's channel. A start brings a new live definition (channel paths and states),
  // a transient VM is gone once stopped, and tags or title change the definition: those are read again.
  const appliesInPlace = (state: VmState | null): state is VmState => state !== null && state !== "running" && (vm.persistent || state === "paused");
  useLiveEvent("domain.lifecycle", (event) => {
    if (mine(event) && appliesInPlace(event.state)) vmCache.setState(event, event.state);
  });
  useLiveEvent("domain.agent", (event) => mine(event) && vmCache.setChannelState(event, QGA_CHANNEL, event.connected ? "connected" : "disconnected"));
  useLiveRefetch(["domain.lifecycle", "domain.metadata"], (event) =>
    mine(event) && !(event.type === "domain.lifecycle" && appliesInPlace(event.state)) ? [trpc.vms.get.queryKey(ref)] : [],
  );

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="min-w-0 break-all text-2xl font-semibold">{vm.name}</h1>
        <VmStateBadge state={vm.state} />
      </div>
      {vm.title && <p className="text-slate-600 dark:text-slate-400">{vm.title}</p>}
      {can.power && <PowerButtons hostId={vm.hostId} uuid={vm.uuid} name={vm.name} state={vm.state} where="page" />}
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Section title="Overview">
          <dl className="grid grid-cols-2 gap-3 text-sm">
            <Fact label="UUID" wide className="break-all font-mono">
              {vm.uuid}
            </Fact>
            <Fact label="vCPUs">{vm.vcpus}</Fact>
            <Fact label="Memory">{formatBytes(vm.memoryKiB * 1024)}</Fact>
            <Fact label="Firmware">{vm.firmware.toUpperCase()}</Fact>
            <Fact label="Virtualisation">{vm.domainType === "kvm" ? "KVM" : "emulated (TCG)"}</Fact>
            <Fact label="Autostart">{vm.autostart ? "yes" : "no"}</Fact>
            <Fact label="Tags">{vm.tags.length ? vm.tags.join(", ") : "—"}</Fact>
          </dl>
        </Section>
        <Section title="Disks">
          {vm.disks.length === 0 ? (
            <p className="text-sm">
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
            <ul className="space-y-2 text-sm">
              {vm.disks.map((d) => (
                <li key={d.target} className="break-all">
                  <span className="font-mono">{d.target}</span> {d.device} on {d.bus}
                  {d.format && `, ${d.format}`} — {d.source ?? "empty"}
                  {d.readonly && " (read-only)"}
                  {vm.missingFiles
                    .filter((m) => m.target === d.target)
                    .map((m) => (
                      <p key={m.path} className="mt-1 text-red-700 dark:text-red-300">
                        {m.backing ? "Its backing file " : "Its file "}
                        <span className="font-mono">{m.path}</span> is missing on the host:{" "}
                        {vm.state === "shutoff" ? "the VM will not start" : "the VM will not start again"} until this disk is detached or the file is restored.
                      </p>
                    ))}
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title="Network">
          {vm.nics.length === 0 ? (
            <p className="text-sm">No network interfaces.</p>
          ) : (
            <ul className="space-y-2 text-sm">
              {vm.nics.map((n, i) => (
                <li key={n.mac ?? i} className="break-all">
                  <span className="font-mono">{n.mac ?? "no MAC"}</span> — {n.type}
                  {n.source && ` ${n.source}`}
                  {n.model && `, ${n.model}`}
                </li>
              ))}
            </ul>
          )}
        </Section>
        {can.guestRead && (
          <Section title="Inside the guest">
            <GuestPanel hostId={vm.hostId} uuid={vm.uuid} running={vm.state === "running"} canExec={can.guestExec} />
          </Section>
        )}
        <Section title="Guest agents">
          <AgentChannels vm={vm} canEdit={can.edit} />
        </Section>
        <Section title="Snapshots">
          <SnapshotsPanel
            hostId={vm.hostId}
            uuid={vm.uuid}
            running={vm.state === "running" || vm.state === "paused"}
            disks={vm.disks}
            canManage={can.snapshot}
          />
        </Section>
        {can.delete && (
          <Section title="Delete">
            <DeleteVm vm={vm} />
          </Section>
        )}
      </div>
    </div>
  );
}
