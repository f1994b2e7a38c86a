"use client";

import { useEffect, useState } from "react";
import { useTranslations } from "next-intl";
import { Icon } from "./icons";
import { useHydrated } from "./use-hydrated";
import { applyTheme, THEME_STORAGE_KEY, THEMES, type Theme } from "./theme";

const ICON = { system: "monitor", light: "sun", dark: "moon" } as const;

/** Cycles system → light → dark; "system" keeps following the OS setting as it changes. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>("system");
  const hydrated = useHydrated();
  const t = useTranslations("common.theme");

  useEffect(() => {
    const saved = localStorage.getItem(THEME_STORAGE_KEY);
    if (saved && (THEMES as readonly string[]).includes(saved)) setTheme(saved as Theme);
  }, []);

  useEffect(() => {
    applyTheme(theme);
    if (theme !== "system") return;
    const media = matchMedia("(prefers-color-scheme: dark)");
    const follow = () => applyTheme("system");
    media.addEventListener("change", follow);
    return () => media.removeEventListener("change", follow);
  }, [theme]);

  function next() {
    const chosen = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length]!;
    localStorage.setItem(THEME_STORAGE_KEY, chosen);
    setTheme(chosen);
  }

  return (
    <button type="button" className="btn btn-secondary px-3" onClick={next} disabled={!hydrated} aria-label={t("change", { theme: t(theme) })} title={t(theme)}>
      <Icon name={ICON[theme]} />
    </button>
  );
}
