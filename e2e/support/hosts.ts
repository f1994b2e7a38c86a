import { expect, type APIRequestContext } from "@playwright/test";
import type { SecondHost } from "../fixtures/second-host";

/** One tRPC call as the signed-in user of `request` (a page's: it shares the page's cookies); the answer's data. */
export async function trpc<T>(request: APIRequestContext, procedure: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const path = `/api/trpc/${procedure}`;
  const res =
    kind === "mutation"
      ? await request.post(path, { data: input })
      : await request.get(input === undefined ? path : `${path}?${new URLSearchParams({ input: JSON.stringify(input) })}`);
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  expect(res.ok(), `${procedure}: ${body.error?.message ?? res.status()}`).toBe(true);
  return body.result!.data;
}

export interface HostRow {
  id: string;
  name: string;
  connection: { state: string; error: string | null };
}

/**
 * Adds the second host to the manager over ssh, as the add-host page does: the manager's key
 * authorized on it, its host key scanned and (after comparing with the host's own) pinned.
 */
export async function addOverSsh(request: APIRequestContext, host: SecondHost, name: string): Promise<HostRow> {
  const { publicKey } = await trpc<{ publicKey: string }>(request, "hosts.sshPublicKey", undefined, "query");
  await host.authorizeKey(publicKey);
  const address = host.sshAddress;
  const scanned = await trpc<{ fingerprint: string; hostKey: string }>(request, "hosts.scanHostKey", { address }, "query");
  expect(scanned.fingerprint).toBe(host.sshHostKeyFingerprint);
  const { id } = await trpc<{ id: string }>(request, "hosts.add", { transport: "ssh", name, address, hostKey: scanned.hostKey });
  await expect.poll(async () => (await listHosts(request)).find((h) => h.id === id)?.connection.state, { timeout: 30_000 }).toBe("connected");
  return (await listHosts(request)).find((h) => h.id === id)!;
}

export function listHosts(request: APIRequestContext): Promise<HostRow[]> {
  return trpc<HostRow[]>(request, "hosts.list", undefined, "query");
}

/** Forgets a host this test added, if it is still there: a host left behind would show as down on every page of the run. */
export async function removeIfPresent(request: APIRequestContext, name: string): Promise<void> {
  const row = (await listHosts(request)).find((h) => h.name === name);
  if (row) await trpc(request, "hosts.remove", { hostId: row.id, confirmName: name });
}
