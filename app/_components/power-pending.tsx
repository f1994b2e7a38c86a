"use client";

import { createContext, useContext, useEffect, useState } from "react";
import { POWER_REQUEST_WAIT_MS } from "@/server/domains/power";
import type { VmRef } from "@/server/identifiers";
import { useLiveEvent } from "./live-events";

/** A request the guest has to act on itself: libvirt answers at once, and only an event says it happened. */
export type GuestRequest = "shutdown" | "reboot";

interface Pending {
  action: GuestRequest;
  /** Date.now() when the request was sent. */
  since: number;
}

interface PendingStore {
  get(ref: VmRef): Pending | undefined;
  start(ref: VmRef, action: GuestRequest): void;
}

const PendingContext = createContext<PendingStore | null>(null);

const keyOf = (ref: VmRef) => `${ref.hostId}/${ref.uuid}`;

/**
 * The shutdown and reboot requests this tab sent and the guest has not acted on yet, shared by
 * the VM list and the VM page. Any lifecycle or reboot event of the VM ends its request: a guest
 * that shuts down sends "shutdown" then "stopped"; one that reboots sends only "reboot" (measured
 * with the test guest and libvirt 9.0: an ACPI reboot brings no lifecycle event at all).
 */
export function PowerPendingProvider({ children }: { children: React.ReactNode }) {
  const [pending, setPending] = useState<ReadonlyMap<string, Pending>>(new Map());
  useLiveEvent(["domain.lifecycle", "domain.reboot"], (event) => {
    if (!pending.has(keyOf(event))) return;
    setPending((map) => {
      const next = new Map(map);
      next.delete(keyOf(event));
      return next;
    });
  });
  const store: PendingStore = {
    get: (ref) => pending.get(keyOf(ref)),
    start: (ref, action) => setPending((map) => new Map(map).set(keyOf(ref), { action, since: Date.now() })),
  };
  return <PendingContext value={store}>{children}</PendingContext>;
}

/**
 * The VM's unanswered shutdown or reboot request, and whether POWER_REQUEST_WAIT_MS has passed
 * since it was sent; `start` records a new one.
 */
export function usePowerPending(ref: VmRef): { pending: Pending | undefined; overdue: boolean; start: (action: GuestRequest) => void } {
  const store = useContext(PendingContext);
  if (!store) throw new Error("usePowerPending needs a PowerPendingProvider above it; the signed-in layout (app/(app)/layout.tsx) has one.");
  const pending = store.get(ref);
  const [overdueSince, setOverdueSince] = useState<number | null>(null);
  const since = pending?.since;
  useEffect(() => {
    if (since === undefined) return;
    const timer = setTimeout(() => setOverdueSince(since), Math.max(0, since + POWER_REQUEST_WAIT_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [since]);
  return { pending, overdue: since !== undefined && overdueSince === since, start: (action) => store.start(ref, action) };
}
