"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { formatBytes } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";

type Facts = inferRouterOutputs<AppRouter>["guest"]["facts"];
type Fact<T> = { value: T | null; source: string | null };

const SOURCE_LABEL: Record<string, string> = { agent: "our agent", qga: "qemu-guest-agent", lease: "DHCP lease", arp: "ARP table" };

function Source({ source }: { source: string | null }) {
  if (!source) return null;
  return (
    <span className="ml-1 rounded bg-slate-100 px-1 text-[10px] uppercase tracking-wide text-slate-600 dark:bg-slate-800 dark:text-slate-300">
      {SOURCE_LABEL[source] ?? source}
    </span>
  );
}

function Row<T>({ label, fact, render }: { label: string; fact: Fact<T>; render: (v: T) => string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500">
        {label}
        <Source source={fact.source} />
      </dt>
      <dd className="break-words">{fact.value === null ? "—" : render(fact.value)}</dd>
    </div>
  );
}

function FactsView({ facts }: { facts: Facts }) {
  const s = facts.system;
  return (
    <div className="space-y-3 text-sm">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Row label="Hostname" fact={s.hostname} render={(v) => v} />
        <Row label="Operating system" fact={s.os} render={(v) => v.prettyName ?? v.name ?? "unknown"} />
        <Row label="Kernel" fact={s.kernel} render={(v) => [v.name, v.release].filter(Boolean).join(" ")} />
        <Row label="Memory" fact={s.memory} render={(v) => `${formatBytes(v.availableBytes)} free of ${formatBytes(v.totalBytes)}`} />
        <Row label="Uptime" fact={s.uptimeSeconds} render={(v) => `${Math.floor(v / 3600)} h ${Math.floor((v % 3600) / 60)} min`} />
        <Row label="Time zone" fact={s.timezone} render={(v) => v} />
      </dl>
      <div>
        <h3 className="text-xs text-slate-500">
          Addresses
          <Source source={facts.network.source} />
        </h3>
        <ul>
          {(facts.network.value ?? [])
            .filter((i) => i.addresses.length > 0 && i.name !== "lo")
            .map((i) => (
              <li key={i.name} className="break-all">
                <span className="font-mono">{i.name}</span> {i.addresses.map((a) => `${a.address}/${a.prefix}`).join(", ")}
              </li>
            ))}
        </ul>
      </div>
      <div>
        <h3 className="text-xs text-slate-500">
          File systems
          <Source source={facts.disks.source} />
        </h3>
        <ul>
          {(facts.disks.value ?? []).map((d) => (
            <li key={d.mountpoint} className="break-all">
              <span className="font-mono">{d.mountpoint}</span> {d.fstype ?? ""}
              {d.totalBytes !== null && ` — ${formatBytes(d.usedBytes ?? 0)} of ${formatBytes(d.totalBytes)} used`}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

function RunCommand({ hostId, uuid }: { hostId: string; uuid: string }) {
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const exec = useMutation(trpc.guest.exec.mutationOptions());
  const [line, setLine] = useState("");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // No shell in the guest: the first word is the program, the rest its arguments, split on spaces.
    const [command, ...args] = line.trim().split(/\s+/);
    if (command) exec.mutate({ hostId, uuid, command, args, timeoutMs: 30_000 });
  }

  const r = exec.data;
  return (
    <form onSubmit={onSubmit} method="post" className="space-y-2">
      <div className="text-sm">
        <label htmlFor="guest-command">Run a command in the guest</label>
        <div className="mt-1 flex gap-2">
          <input
            id="guest-command"
            value={line}
            onChange={(e) => setLine(e.target.value)}
            className="input font-mono"
            placeholder="uname -a"
            autoComplete="off"
            aria-describedby="guest-command-hint"
          />
          <button type="submit" className="btn btn-primary" disabled={!hydrated || exec.isPending}>
            Run
          </button>
        </div>
        <p id="guest-command-hint" className="mt-1 text-xs text-slate-500">
          Runs without a shell, 30 s at most; every run is written to the audit log.
        </p>
      </div>
      <FormStatus error={exec.error?.message ?? null} />
      {r && (
        <div className="space-y-1 text-sm" aria-live="polite">
          <p>
            Exit code {r.exit_code ?? `— killed by ${r.signal ?? "a signal"}`}
            {r.timed_out && " (timed out)"}
            {r.truncated && " (output truncated)"}
          </p>
          <pre
            className="max-h-80 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 font-mono text-xs dark:bg-slate-950"
            data-testid="guest-stdout"
          >
            {r.stdout}
            {r.stderr}
          </pre>
        </div>
      )}
    </form>
  );
}

export function GuestPanel({ hostId, uuid, running, canExec }: { hostId: string; uuid: string; running: boolean; canExec: boolean }) {
  const trpc = useTRPC();
  const ref = { hostId, uuid };
  const status = useQuery({ ...trpc.guest.status.queryOptions(ref), enabled: running });
  const connected = status.data?.agent.state === "connected" || status.data?.qga.connected === true;
  const facts = useQuery({ ...trpc.guest.facts.queryOptions(ref), enabled: running && connected });
  // An agent came or went: read its status and facts again. A VM that stopped has nothing to read
  // (the page learns the new state from the lifecycle event and hides this panel).
  useLiveRefetch("guest.status", (event) =>
    event.hostId === hostId && event.uuid === uuid && event.running ? [trpc.guest.status.queryKey(ref), trpc.guest.facts.queryKey(ref)] : [],
  );

  if (!running) return <p className="text-sm">The VM is not running.</p>;
  const agent = status.data?.agent;
  return (
    <div className="space-y-4">
      <p className="text-sm" aria-live="polite">
        Our agent: <strong>{agent ? agent.state : "…"}</strong>
        {agent?.info && ` (version ${agent.info.version}, ${agent.info.platform.os})`} · qemu-guest-agent:{" "}
        <strong>{status.data ? (status.data.qga.connected ? "connected" : status.data.qga.channel ? "not answering" : "no channel") : "…"}</strong>
      </p>
      <FormStatus error={status.error?.message ?? facts.error?.message ?? null} />
      {facts.data && <FactsView facts={facts.data} />}
      {canExec && agent?.state === "connected" && <RunCommand hostId={hostId} uuid={uuid} />}
    </div>
  );
}
