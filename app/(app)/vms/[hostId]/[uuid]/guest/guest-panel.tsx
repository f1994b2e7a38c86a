"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { AgentUpdate } from "./agent-update";

type Facts = inferRouterOutputs<AppRouter>["guest"]["facts"];
type Fact<T> = { value: T | null; source: string | null };

/** Where a fact came from: a short mark beside it, spelled out once (vmGuest.sources) in the legend under the facts. */
const SOURCES = {
  agent: "K",
  qga: "Q",
  lease: "D",
  arp: "A",
} as const;

type KnownSource = keyof typeof SOURCES;

function useSourceOf(): (source: string) => { mark: string; name: string } {
  const t = useTranslations("vmGuest.sources");
  return (source) => (source in SOURCES ? { mark: SOURCES[source as KnownSource], name: t(source as KnownSource) } : { mark: "?", name: source });
}

/** The mark is for the eye; screen readers hear the source's name instead. */
function Source({ source, marked }: { source: string | null; marked: boolean }) {
  const t = useTranslations("vmGuest.sources");
  const sourceOf = useSourceOf();
  if (!source || !marked) return null;
  const { mark, name } = sourceOf(source);
  return (
    <>
      <sup aria-hidden="true" className="ml-0.5 font-mono text-[10px] text-slate-400" title={t("from", { name })}>
        {mark}
      </sup>
      <span className="sr-only"> {t("fromSpoken", { name })}</span>
    </>
  );
}

/**
 * Says once where the facts came from: one sentence when they share a source (and no marks), a
 * legend of the marks when they do not.
 */
function SourceLegend({ sources }: { sources: string[] }) {
  const t = useTranslations("vmGuest.sources");
  const sourceOf = useSourceOf();
  if (sources.length === 0) return null;
  if (sources.length === 1) return <p className="text-xs text-slate-500 dark:text-slate-400">{t("readFrom", { name: sourceOf(sources[0]!).name })}</p>;
  return (
    <p className="text-xs text-slate-500 dark:text-slate-400">
      {t("legend")}{" "}
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

/** One fact; `verbatim` marks what the guest said (names, versions), which is not ours to translate. */
function Row<T>({
  label,
  fact,
  marked,
  render,
  verbatim = false,
}: {
  label: string;
  fact: Fact<T>;
  marked: boolean;
  render: (v: T) => string;
  verbatim?: boolean;
}) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500 dark:text-slate-400">
        {label}
        <Source source={fact.source} marked={marked} />
      </dt>
      <dd className="break-words" translate={verbatim && fact.value !== null ? "no" : undefined}>
        {fact.value === null ? "—" : render(fact.value)}
      </dd>
    </div>
  );
}

function FactsView({ facts }: { facts: Facts }) {
  const t = useTranslations("vmGuest.facts");
  const f = useFormat();
  const s = facts.system;
  const all = [s.hostname, s.os, s.kernel, s.memory, s.uptimeSeconds, s.timezone, facts.network, facts.disks];
  const sources = [...new Set(all.flatMap((fact) => (fact.source ? [fact.source] : [])))];
  const marked = sources.length > 1;
  return (
    <div className="space-y-3 text-sm">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Row label={t("hostname")} fact={s.hostname} marked={marked} render={(v) => v} verbatim />
        <Row
          label={t("os")}
          fact={s.os}
          marked={marked}
          render={(v) => v.prettyName ?? v.name ?? t("unknown")}
          verbatim={!!(s.os.value?.prettyName ?? s.os.value?.name)}
        />
        <Row label={t("kernel")} fact={s.kernel} marked={marked} render={(v) => [v.name, v.release].filter(Boolean).join(" ")} verbatim />
        <Row
          label={t("memory")}
          fact={s.memory}
          marked={marked}
          render={(v) => t("memoryValue", { free: f.bytes(v.availableBytes), total: f.bytes(v.totalBytes) })}
        />
        <Row
          label={t("uptime")}
          fact={s.uptimeSeconds}
          marked={marked}
          render={(v) => t("uptimeValue", { hours: Math.floor(v / 3600), minutes: Math.floor((v % 3600) / 60) })}
        />
        <Row label={t("timezone")} fact={s.timezone} marked={marked} render={(v) => v} verbatim />
      </dl>
      <div>
        <h3 className="text-xs text-slate-500 dark:text-slate-400">
          {t("addresses")}
          <Source source={facts.network.source} marked={marked} />
        </h3>
        <ul translate="no">
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
          {t("fileSystems")}
          <Source source={facts.disks.source} marked={marked} />
        </h3>
        <ul>
          {(facts.disks.value ?? []).map((d) => (
            <li key={d.mountpoint} className="break-all">
              <span translate="no">
                <span className="font-mono">{d.mountpoint}</span> {d.fstype ?? ""}
              </span>
              {d.totalBytes !== null && (
                <>
                  {" — "}
                  {t("fileSystemUsed", { used: f.bytes(d.usedBytes ?? 0), total: f.bytes(d.totalBytes) })}
                </>
              )}
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
  const t = useTranslations("vmGuest.run");
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
        <label htmlFor="guest-command">{t("label")}</label>
        <div className="mt-1 flex gap-2">
          <input
            id="guest-command"
            value={line}
            onChange={(e) => setLine(e.target.value)}
            className="input font-mono"
            placeholder={t("placeholder")}
            autoComplete="off"
            aria-describedby="guest-command-hint"
          />
          <button type="submit" className="btn btn-primary" disabled={!hydrated || exec.isPending}>
            {t("submit")}
          </button>
        </div>
        <p id="guest-command-hint" className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {t("hint")}
        </p>
      </div>
      <FormStatus error={exec.error?.message ?? null} />
      {r && (
        <div className="space-y-1 text-sm" aria-live="polite">
          <p>
            {r.exit_code !== null && r.exit_code !== undefined
              ? t("exitCode", { code: r.exit_code })
              : r.signal
                ? t("killed", { signal: r.signal })
                : t("killedBySignal")}
            {r.timed_out && ` ${t("timedOut")}`}
            {r.truncated && ` ${t("truncated")}`}
          </p>
          <pre
            translate="no"
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
  const t = useTranslations("vmGuest");
  const ref = { hostId, uuid };
  const status = useQuery({ ...trpc.guest.status.queryOptions(ref), enabled: running });
  const connected = status.data?.agent.state === "connected" || status.data?.qga.connected === true;
  const facts = useQuery({ ...trpc.guest.facts.queryOptions(ref), enabled: running && connected });
  // An agent came or went: read its status and facts again. A VM that stopped has nothing to read
  // (the page learns the new state from the lifecycle event and hides this panel).
  useLiveRefetch("guest.status", (event) =>
    event.hostId === hostId && event.uuid === uuid && event.running ? [trpc.guest.status.queryKey(ref), trpc.guest.facts.queryKey(ref)] : [],
  );

  if (!running) return <p className="text-sm">{t("notRunning")}</p>;
  const agent = status.data?.agent;
  const qga = status.data?.qga;
  const strong = (chunks: React.ReactNode) => <strong>{chunks}</strong>;
  return (
    <div className="space-y-4">
      <p className="text-sm" aria-live="polite">
        {t.rich("status.agent", { state: agent ? t(`status.agentState.${agent.state}`) : "…", strong })}
        {agent?.info && <> {t("status.agentInfo", { version: agent.info.version, os: agent.info.platform.os })}</>} ·{" "}
        {t.rich("status.qga", {
          state: qga ? t(qga.connected ? "status.qgaState.connected" : qga.channel ? "status.qgaState.notAnswering" : "status.qgaState.noChannel") : "…",
          strong,
        })}
      </p>
      <FormStatus error={status.error?.message ?? facts.error?.message ?? null} />
      {status.data && <AgentUpdate hostId={hostId} uuid={uuid} status={status.data} canUpdate={canExec} />}
      {facts.data && <FactsView facts={facts.data} />}
      {canExec && agent?.state === "connected" && <RunCommand hostId={hostId} uuid={uuid} />}
    </div>
  );
}
