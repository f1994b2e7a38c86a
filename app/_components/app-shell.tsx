"use client";

import { Link } from "@/app/_components/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useTranslations } from "next-intl";
import type { Role } from "@/server/auth/roles";
import { useHydrated } from "./use-hydrated";
import { Icon, type IconName } from "./icons";
import { ThemeToggle } from "./theme-toggle";
import { AlertBadge } from "./alert-count";

/** The product's name, the same in every language. */
const PRODUCT = "KVM Manager";
const [PRODUCT_SHORT, PRODUCT_REST] = ["KVM", " Manager"];

export interface NavItem {
  href: string;
  /** In the page's language (common.nav.*). */
  label: string;
  icon: IconName;
  /** A live count beside the label: the firing alerts (alert-count.tsx). */
  badge?: "alerts";
}

function isActive(pathname: string, href: string) {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

function NavLinks({ nav, variant }: { nav: NavItem[]; variant: "side" | "bottom" }) {
  const pathname = usePathname();
  return (
    <ul className={variant === "side" ? "space-y-1" : "flex flex-1 justify-around"}>
      {nav.map((item) => {
        const active = isActive(pathname, item.href);
        const base =
          variant === "side"
            ? "flex min-h-11 items-center gap-3 rounded-md px-3 py-2 text-sm"
            : "relative flex min-w-16 flex-col items-center gap-0.5 px-2 py-2 text-xs";
        const tone = active
          ? "bg-sky-100 font-semibold text-sky-900 dark:bg-sky-900/50 dark:text-sky-100"
          : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800";
        return (
          <li key={item.href}>
            <Link href={item.href} className={`${base} ${tone}`} aria-current={active ? "page" : undefined}>
              <Icon name={item.icon} />
              <span>{item.label}</span>
              {item.badge === "alerts" && <AlertBadge variant={variant} />}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

/** Five items fit a 360 px bar; beyond that the last ones move into a "More" menu. */
const BOTTOM_BAR_ITEMS = 5;

function BottomNav({ nav }: { nav: NavItem[] }) {
  const t = useTranslations("common.shell");
  const pathname = usePathname();
  if (nav.length <= BOTTOM_BAR_ITEMS) return <NavLinks nav={nav} variant="bottom" />;
  const shown = nav.slice(0, BOTTOM_BAR_ITEMS - 1);
  const more = nav.slice(BOTTOM_BAR_ITEMS - 1);
  const moreActive = more.some((item) => isActive(pathname, item.href));
  return (
    <div className="flex justify-around">
      <NavLinks nav={shown} variant="bottom" />
      {/* <details> opens and closes with the keyboard and screen readers without any script. */}
      <details key={pathname} className="relative">
        <summary
          className={`flex min-w-16 cursor-pointer list-none flex-col items-center gap-0.5 px-2 py-2 text-xs ${moreActive ? "bg-sky-100 font-semibold text-sky-900 dark:bg-sky-900/50 dark:text-sky-100" : "text-slate-700 dark:text-slate-300"}`}
        >
          <Icon name="menu" />
          <span>{t("more")}</span>
        </summary>
        <div className="absolute bottom-full right-0 mb-2 w-48 rounded-md border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900">
          <NavLinks nav={more} variant="side" />
        </div>
      </details>
    </div>
  );
}

export function AppShell({
  nav,
  username,
  role,
  tray,
  children,
}: {
  nav: NavItem[];
  username: string;
  role: Role;
  /** The running tasks' tray (task-tray.tsx), for users who may read tasks. */
  tray: React.ReactNode;
  children: React.ReactNode;
}) {
  const t = useTranslations("common");
  const hydrated = useHydrated();
  return (
    <div className="min-h-dvh md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 dark:focus:bg-slate-900"
      >
        {t("shell.skipToContent")}
      </a>
      <aside className="hidden w-60 shrink-0 flex-col border-r border-slate-200 bg-white p-4 md:flex dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 px-3 text-lg font-semibold" translate="no">
          {PRODUCT}
        </div>
        <nav aria-label={t("shell.mainNav")} className="flex-1">
          <NavLinks nav={nav} variant="side" />
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col pb-20 md:pb-0">
        <header className="flex items-center justify-between gap-2 border-b border-slate-200 bg-white px-4 py-2 dark:border-slate-800 dark:bg-slate-900">
          <span className="shrink-0 font-semibold md:hidden" translate="no">
            {PRODUCT_SHORT}
            <span className="hidden min-[400px]:inline">{PRODUCT_REST}</span>
          </span>
          <div className="ml-auto flex min-w-0 items-center gap-2">
            {/* On a phone too: who is signed in decides what may be done here. */}
            <span className="flex min-w-0 items-center gap-1 text-sm text-slate-600 dark:text-slate-400" data-testid="signed-in-user">
              <span className="sr-only">{t("shell.signedInAs")} </span>
              <span className="truncate" translate="no">
                {username}
              </span>
              <span className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{t(`roles.${role}`)}</span>
            </span>
            {tray}
            <ThemeToggle />
            <button type="button" className="btn btn-secondary px-3" disabled={!hydrated} onClick={() => void signOut({ callbackUrl: "/login" })}>
              <Icon name="logout" />
              <span className="sr-only sm:not-sr-only">{t("shell.signOut")}</span>
            </button>
          </div>
        </header>
        <main id="main" className="mx-auto w-full max-w-6xl flex-1 p-4 md:p-6">
          {children}
        </main>
      </div>
      <nav
        aria-label={t("shell.mainNav")}
        className="fixed inset-x-0 bottom-0 z-40 border-t border-slate-200 bg-white md:hidden dark:border-slate-800 dark:bg-slate-900"
      >
        <BottomNav nav={nav} />
      </nav>
    </div>
  );
}
