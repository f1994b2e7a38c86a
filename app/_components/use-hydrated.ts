"use client";

import { useEffect, useState } from "react";

/**
 * False during server rendering and until React has attached handlers. Controls that only work
 * with JavaScript stay disabled until then, so an early tap is not lost (or, for a form, sent
 * natively as a GET with its fields in the URL).
 */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
