"use client";

import { useEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { THUMBNAIL_MAX_AGE_MS } from "@/server/domains/thumbnail-age";
import { useTRPC } from "./trpc";

/** True while the element is on screen and its tab is in front: a thumbnail nobody sees is not fetched. */
function useSeen<T extends Element>() {
  const ref = useRef<T>(null);
  const [onScreen, setOnScreen] = useState(false);
  const [tabShown, setTabShown] = useState(true);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new IntersectionObserver(([entry]) => setOnScreen(!!entry?.isIntersecting));
    observer.observe(el);
    const onVisibility = () => setTabShown(document.visibilityState === "visible");
    onVisibility();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      observer.disconnect();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, []);
  return { ref, seen: onScreen && tabShown };
}

/**
 * A small live picture of a running VM's screen, refreshed about every THUMBNAIL_MAX_AGE_MS while
 * it is on screen. The server shares one screenshot per VM among all viewers.
 */
export function VmThumbnail({
  hostId,
  uuid,
  name,
  running,
  hideWhenUnavailable = false,
  className = "",
}: {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  /** Where a VM without a screen (no graphics device) should take no room: the list's cards. */
  hideWhenUnavailable?: boolean;
  className?: string;
}) {
  const t = useTranslations("common.thumbnail");
  const trpc = useTRPC();
  const { ref, seen } = useSeen<HTMLDivElement>();
  const shot = useQuery({
    ...trpc.vms.thumbnail.queryOptions({ hostId, uuid }),
    enabled: running && seen,
    refetchInterval: running && seen ? THUMBNAIL_MAX_AGE_MS : false,
    retry: false,
  });
  if (hideWhenUnavailable && shot.isError) return null;
  const text = !running ? t("off") : shot.isError ? t("noScreen") : !shot.data ? t("loading") : null;
  return (
    <div ref={ref} className={`flex aspect-[4/3] items-center justify-center overflow-hidden rounded bg-slate-900 text-xs text-slate-300 ${className}`}>
      {running && shot.data ? (
        // A data: URL refreshed in place: next/image's optimiser has nothing to fetch.
        <img src={shot.data.dataUrl} alt={t("alt", { name })} className="h-full w-full object-contain" />
      ) : (
        <span>{text}</span>
      )}
    </div>
  );
}
