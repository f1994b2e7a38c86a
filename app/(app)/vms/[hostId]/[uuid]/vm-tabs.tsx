"use client";

import { Link } from "@/app/_components/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "next-intl";
import type { VmTab } from "./tabs";

/**
 * The VM page's sections as links with their own addresses (bookmarkable, back button works).
 * On a phone the row scrolls sideways instead of wrapping, and the current tab scrolls into view.
 */
export function VmTabs({ base, tabs }: { base: string; tabs: readonly VmTab[] }) {
  const t = useTranslations("vm.tabs");
  const pathname = usePathname();
  return (
    <nav aria-label={t("label")} className="-mx-1 overflow-x-auto border-b border-slate-200 dark:border-slate-700">
      <ul className="flex min-w-max gap-1 px-1">
        {tabs.map((tab) => {
          const href = `${base}/${tab.slug}`;
          const current = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={tab.slug}>
              <Link
                href={href}
                aria-current={current ? "page" : undefined}
                ref={(el) => {
                  if (current) el?.scrollIntoView({ block: "nearest", inline: "nearest" });
                }}
                className={`inline-flex min-h-11 items-center border-b-2 px-3 text-sm font-medium ${
                  current
                    ? "border-blue-600 text-blue-700 dark:border-blue-400 dark:text-blue-300"
                    : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100"
                }`}
              >
                {t(tab.slug)}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
