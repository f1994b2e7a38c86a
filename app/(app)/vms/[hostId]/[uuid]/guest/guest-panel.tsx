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

/** Where a fact came from: a short mark beside it, spelled out once in the legend under the facts. */
const SOURCES: Record<string, { mark: string; name: string }> = {
  agent: { mark: "K", name: "KVM Manager agent" },
  qga: { mark: "Q", name: "qemu-guest-agent" },
  lease: { mark: "D", name: "the network's DHCP leases" },
  arp: { mark: "A", name: "the host's ARP table" },
};

function sourceOf(source: string): { mark: string; name: string } {
  return SOURCES[source] ?? { mark: "?", name: source };
}

/** The mark is for the eye; screen readers hear the source's name instead. */
function Source({ source, marked }: { source: string | null; marked: boolean }) {
  if (!source || !marked) return null;
  const { mark, name } = sourceOf(source);
  return (
    <>
      <sup aria-hidden="true" className="ml-0.5 font-mono text-[10px] text-slate-400" title={`from ${name}`}>
        {mark}
      </sup>
      <span className="sr-only"> (from {name})</span>
    </>
  );
}

/**
 * Says once where the facts came from: one sentence when they share a source (and no marks), a
 * legend of the marks when they do not.
 */
function SourceLegend({ sources }: { sources: string[] }) {
  if (sources.length === 0) return null;
  if (sources.length === 1) return <p className="text-xs text-slate-500 dark:text-slate-400">Read from {sourceOf(sources[0]!).name}.</p>;
  return (
    <p className="text-xs text-slate-500 dark:text-slate-400">
      Where each fact came from:{" "}
      {sources.map((source, i) => (
        <span key={source}>
          {i > 0 && ", "}
          <span className="font-mono">{sourceOf(source).mark}</span> {sourceOf(source).name}
        </span>
      ))}
      .
    </p>
  );
}

function Row<T>({ label, fact, marked, render }: { label: string; fact: Fact<T>; marked: boolean; render: (v: T) => string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500 dark:text-slate-400">
        {label}
        <Source source={fact.source} marked={marked} />
      </dt>
      <dd className="break-words">{fact.value === null ? "—" : render(fact.value)}</dd>
    </div>
  );
}

function FactsView({ facts }: { facts: Facts }) {
  const s = facts.system;
  const all = [s.hostname, s.os, s.kernel, s.memory, s.uptimeSeconds, s.timezone, facts.network, facts.disks];
  const sources = [...new Set(all.flatMap((f) => (f.source ? [f.source] : [])))];
  const marked = sources.length > 1;
  return (
    <div className="space-y-3 text-sm">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Row label="Hostname" fact={s.hostname} marked={marked} render={(v) => v} />
        <Row label="Operating system" fact={s.os} marked={marked} render={(v) => v.prettyName ?? v.name ?? "unknown"} />
        <Row label="Kernel" fact={s.kernel} marked={marked} render={(v) => [v.name, v.release].filter(Boolean).join(" ")} />
        <Row label="Memory" fact={s.memory} marked={marked} render={(v) => `${formatBytes(v.availableBytes)} free of ${formatBytes(v.totalBytes)}`} />
        <Row label="Uptime" fact={s.uptimeSeconds} marked={marked} render={(v) => `${Math.floor(v / 3600)} h ${Math.floor((v % 3600) / 60)} min`} />
        <Row label="Time zone" fact={s.timezone} marked={marked} render={(v) => v} />
      </dl>
      <div>
        <h3 className="text-xs text-slate-500 dark:text-slate-400">
          Addresses
          <Source source={facts.network.source} marked={marked} />
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
        <h3 className="text-xs text-slate-500 dark:text-slate-400">
          File systems
          <Source source={facts.disks.source} marked={marked} />
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
      <SourceLegend sources={sources} />
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
        <p id="guest-command-hint" className="mt-1 text-xs text-slate-500 dark:text-slate-400">
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
        KVM Manager agent: <strong>{agent ? agent.state : "…"}</strong>
        {agent?.info && ` (version ${agent.info.version}, ${agent.info.platform.os})`} · qemu-guest-agent:{" "}
        <strong>{status.data ? (status.data.qga.connected ? "connected" : status.data.qga.channel ? "not answering" : "no channel") : "…"}</strong>
      </p>
      <FormStatus error={status.error?.message ?? facts.error?.message ?? null} />
      {facts.data && <FactsView facts={facts.data} />}
      {canExec && agent?.state === "connected" && <RunCommand hostId={hostId} uuid={uuid} />}
    </div>
  );
}
