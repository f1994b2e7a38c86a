/**
 * The one way per-host work runs across hosts (pages, jobs, the metrics collector): every host at
 * once, each bounded by its own timeout, each answering its value or why it has none. One slow or
 * dead host costs the others nothing: its answer is "no answer within 5 s" when the timeout ends,
 * whatever its libvirt call is still waiting for (that call is left to finish or fail on its own;
 * its late result is dropped). A host whose libvirtd has stopped answering keepalive pings is not
 * asked at all: it answers why at once, rather than costing every page its timeout until the
 * keepalive gives up on it (30 s).
 */
import { env } from "../config/env";
import { auditTargets } from "../audit/targets";
import { unansweredMessage } from "../libvirt";
import { existingConnection } from "../libvirt/registry";

/** One host's outcome: its work's value, or the failure in plain words naming the host. */
export type HostAnswer<T> = { hostId: string; ok: true; value: T } | { hostId: string; ok: false; error: string };

export interface FanOutOptions {
  /** How long each host gets; KVMM_HOST_TIMEOUT_S when not given. */
  timeoutMs?: number;
}

/** The per-host timeout the environment sets (KVMM_HOST_TIMEOUT_S, 5 s unless set). */
export function hostTimeoutMs(): number {
  return env().KVMM_HOST_TIMEOUT_S * 1000;
}

/**
 * Each host's answer as its own promise, in the order of `hosts`; none rejects. For callers that
 * act on each host as soon as it answers (the collector publishes a host's tick without waiting for
 * the slowest).
 */
export function answerEach<H extends { id: string }, T>(
  hosts: readonly H[],
  work: (host: H) => Promise<T>,
  options: FanOutOptions = {},
): Promise<HostAnswer<T>>[] {
  const timeoutMs = options.timeoutMs ?? hostTimeoutMs();
  return hosts.map((host) => answerOf(host.id, () => work(host), timeoutMs));
}

/** Every host's answer, once the last has answered or timed out: at most the timeout after the call. */
export function acrossHosts<H extends { id: string }, T>(
  hosts: readonly H[],
  work: (host: H) => Promise<T>,
  options: FanOutOptions = {},
): Promise<HostAnswer<T>[]> {
  return Promise.all(answerEach(hosts, work, options));
}

async function answerOf<T>(hostId: string, run: () => Promise<T>, timeoutMs: number): Promise<HostAnswer<T>> {
  const silentSince = existingConnection(hostId)?.unansweredSince;
  if (silentSince) return { hostId, ok: false, error: `${auditTargets.host(hostId)}: ${unansweredMessage(silentSince)}` };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<HostAnswer<T>>((resolve) => {
    timer = setTimeout(() => resolve({ hostId, ok: false, error: `${auditTargets.host(hostId)}: no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  // Settles, never rejects: when the timeout wins, nobody waits for it any more and a late failure must not go unhandled.
  const answered = Promise.resolve()
    .then(run)
    .then(
      (value): HostAnswer<T> => ({ hostId, ok: true, value }),
      (err: unknown): HostAnswer<T> => ({ hostId, ok: false, error: hostError(hostId, err) }),
    );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The failure's message, prefixed with the host unless it names it already (the services' errors do: `host "b": libvirt: …`). */
function hostError(hostId: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const host = auditTargets.host(hostId);
  return message.includes(host) ? message : `${host}: ${message}`;
}
