"use client";

import { useId, useState, type ReactNode } from "react";
import { useTranslations } from "next-intl";
import { useHydrated } from "./use-hydrated";

/**
 * A page's filter form, shown in full from the `md` width up and folded behind one "Filters"
 * button on a phone, where it would otherwise push the results below the fold. The button says
 * how many filters are set, so a filtered list is never mistaken for the whole one.
 */
export function CollapsibleFilters({
  label,
  active,
  startOpen = false,
  children,
}: {
  label: string;
  active: number;
  startOpen?: boolean;
  children: ReactNode;
}) {
  const t = useTranslations("common.filters");
  const hydrated = useHydrated();
  const id = useId();
  const [open, setOpen] = useState(startOpen);
  return (
    <div className="space-y-2">
      <button
        type="button"
        className="btn btn-secondary w-full md:hidden"
        aria-expanded={open}
        aria-controls={id}
        disabled={!hydrated}
        onClick={() => setOpen((v) => !v)}
      >
        {active > 0 ? t("withCount", { label, count: active }) : label}
      </button>
      <div id={id} className={open ? "block" : "hidden md:block"}>
        {children}
      </div>
    </div>
  );
}
