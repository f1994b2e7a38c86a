import {
  flagsOf,
  hasErrorCode,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_ERR_NO_DOMAIN_METADATA,
  uuidToString,
  type Connection,
  type protocol,
} from "../libvirt";
import { subscribe } from "../events/bus";
import { processSingleton } from "../process-shared";
import { buildXml, child, children, parseXml, textOf } from "../xml/codec";
import { KVMM_XMLNS } from "./xml";

export { TAG_PATTERN } from "../identifiers";
/** Tags are at most 32 per VM, each a short word: they are filters, not notes. */
export const MAX_TAGS = 32;

/** libvirt hands our metadata element back without its prefix: `<vm><tags><tag>prod</tag></tags></vm>`. */
export function parseTagsMetadata(xml: string): string[] {
  const vm = child(parseXml(xml, "VM metadata"), "vm");
  return children(child(vm, "tags"), "tag")
    .map((t) => textOf(t) ?? "")
    .filter(Boolean);
}

export function buildTagsMetadata(tags: readonly string[]): string {
  return buildXml({ vm: { tags: { tag: [...tags] } } });
}

/**
 * Tags per VM, cached so listing a thousand VMs does not cost a thousand metadata calls each time.
 * One cache per process (route handlers load their own copy of this module), kept honest by
 * `keepTagsFresh`, which server/main.ts starts with the host watchers.
 */
const cache = processSingleton("tagCache", () => new Map<string, Map<string, Promise<string[]>>>());

/**
 * Forgets cached tags when libvirt says they may have changed: a metadata change, a define or
 * undefine, and a reconnect (events may have been missed meanwhile). Returns the unsubscribe.
 */
export function keepTagsFresh(): () => void {
  return subscribe((event) => {
    if (event.type === "host.connection") cache.delete(event.hostId);
    else if (event.type === "domain.metadata" || (event.type === "domain.lifecycle" && (event.event === "defined" || event.event === "undefined"))) {
      cache.get(event.hostId)?.delete(event.uuid);
    }
  });
}

async function fetchTags(conn: Connection, dom: protocol.NonnullDomain): Promise<string[]> {
  try {
    return parseTagsMetadata(await conn.domainGetMetadata({ dom, type: VIR_DOMAIN_METADATA_ELEMENT, uri: KVMM_XMLNS, flags: 0 }));
  } catch (err) {
    if (hasErrorCode(err, VIR_ERR_NO_DOMAIN_METADATA)) return [];
    throw err;
  }
}

function hostCache(hostId: string) {
  let byUuid = cache.get(hostId);
  if (!byUuid) cache.set(hostId, (byUuid = new Map()));
  return byUuid;
}

/**
 * The VM's tags. The promise itself is cached, so two lists racing on a cold cache (two tabs just
 * after a reconnect) share one metadata call per VM; a failed lookup is not cached.
 */
export function tagsOf(hostId: string, conn: Connection, dom: protocol.NonnullDomain, uuid = uuidToString(dom.uuid)): Promise<string[]> {
  const byUuid = hostCache(hostId);
  const cached = byUuid.get(uuid);
  if (cached) return cached;
  const pending = fetchTags(conn, dom);
  byUuid.set(uuid, pending);
  pending.catch(() => byUuid.get(uuid) === pending && byUuid.delete(uuid));
  return pending;
}

/** Writes the tags into the persistent definition, and into the live one when the VM runs. */
export async function writeTags(hostId: string, conn: Connection, dom: protocol.NonnullDomain, tags: readonly string[], running: boolean) {
  const flags = flagsOf(VIR_DOMAIN_AFFECT_CONFIG, running ? VIR_DOMAIN_AFFECT_LIVE : 0);
  await conn.domainSetMetadata({ dom, type: VIR_DOMAIN_METADATA_ELEMENT, metadata: buildTagsMetadata(tags), key: "kvmm", uri: KVMM_XMLNS, flags });
  hostCache(hostId).set(uuidToString(dom.uuid), Promise.resolve([...tags]));
}
