"use client";

import { useId, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { filterPackages } from "./services-view";

const SHOWN_MAX = 100;

/**
 * The guest's installed packages (dpkg, rpm or apk) through our agent's list_packages. Asked only
 * when the user opens the list: a desktop guest answers thousands of rows.
 */
export function PackagesPanel({ hostId, uuid, running }: { hostId: string; uuid: string; running: boolean }) {
  const trpc = useTRPC();
  const t = useTranslations("guestAdmin.packages");
  const hydrated = useHydrated();
  const ids = useId();
  const [asked, setAsked] = useState(false);
  const [text, setText] = useState("");
  const packages = useQuery({ ...trpc.guest.packages.queryOptions({ hostId, uuid }), enabled: running && asked, retry: false });
  const matched = useMemo(() => filterPackages(packages.data?.packages ?? [], text), [packages.data, text]);

  if (!running) return <p className="text-sm">{t("notRunning")}</p>;
  if (!asked) {
    return (
      <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setAsked(true)}>
        {t("show")}
      </button>
    );
  }
  if (packages.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        {t("loading")}
      </p>
    );
  }
  if (packages.error) {
    return (
      <p role="alert" translate="no" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
        {packages.error.message}
      </p>
    );
  }
  const list = packages.data;
  const shown = matched.slice(0, SHOWN_MAX);
  const filterId = `${ids}-filter`;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 basis-48 text-sm">
          <label htmlFor={filterId}>{t("filterLabel")}</label>
          <input id={filterId} type="search" value={text} onChange={(e) => setText(e.target.value)} className="input mt-1" autoComplete="off" />
        </div>
        <button type="button" className="btn btn-secondary" onClick={() => void packages.refetch()} disabled={!hydrated || packages.isFetching}>
          {packages.isFetching ? t("refreshing") : t("refresh")}
        </button>
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
        {t("count", { shown: matched.length, total: list.packages.length, manager: list.manager })}
        {list.truncated && <> {t("truncated", { total: list.packages.length })}</>}
      </p>
      {matched.length === 0 ? (
        <p className="text-sm">{t("none")}</p>
      ) : (
        <table className="w-full table-fixed text-sm">
          <thead>
            <tr className="text-left text-xs text-slate-500 dark:text-slate-400">
              <th scope="col" className="w-1/2 py-1 pr-2 font-normal">
                {t("name")}
              </th>
              <th scope="col" className="py-1 font-normal">
                {t("version")}
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800" translate="no">
            {shown.map((p) => (
              <tr key={`${p.name}:${p.arch ?? ""}`}>
                <td className="break-all py-1 pr-2 font-mono">{p.name}</td>
                <td className="break-all py-1 font-mono text-xs">
                  {p.version}
                  {p.arch && <span className="text-slate-500 dark:text-slate-400"> {p.arch}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {matched.length > shown.length && (
        <p className="text-xs text-slate-500 dark:text-slate-400">{t("more", { shown: shown.length, matched: matched.length })}</p>
      )}
    </div>
  );
}
