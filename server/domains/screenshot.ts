import { uuidToString } from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import type { ResolvedVm } from "./lookup";
import { vmStateName } from "./power";
import { THUMBNAIL_MAX_AGE_MS } from "./thumbnail-age";

/**
 * The most a screenshot may weigh. The guest sets its display size, and a guest is an untrusted
 * peer: a 1080p desktop is about 0.2–2 MiB of PNG; past this the stream is dropped, not buffered.
 */
export const MAX_SCREENSHOT_BYTES = 8 * 1024 * 1024;

export interface Thumbnail {
  /** `data:image/png;base64,…`, ready for an `<img>`. */
  dataUrl: string;
  takenAt: number;
}

const cache = new Map<string, { at: number; shot: Promise<Thumbnail> }>();

/**
 * A running VM's screen as QEMU shows it (libvirt's domainScreenshot), at most THUMBNAIL_MAX_AGE_MS
 * old: one screenshot per VM however many cards and overviews show it. A failed one is not kept,
 * so the next viewer asks again.
 */
export async function vmThumbnail(vm: ResolvedVm, now = Date.now()): Promise<Thumbnail> {
  const key = `${vm.hostId}/${uuidToString(vm.dom.uuid)}`;
  const held = cache.get(key);
  if (held && now - held.at < THUMBNAIL_MAX_AGE_MS) return held.shot;
  const shot = takeScreenshot(vm);
  cache.set(key, { at: now, shot });
  shot.catch(() => cache.get(key)?.shot === shot && cache.delete(key));
  for (const [k, v] of cache) if (now - v.at >= THUMBNAIL_MAX_AGE_MS) cache.delete(k);
  return shot;
}

async function takeScreenshot(vm: ResolvedVm): Promise<Thumbnail> {
  return withLibvirtContext(vm.context, async () => {
    const { state } = await vm.conn.domainGetState({ dom: vm.dom, flags: 0 });
    if (vmStateName(state) !== "running" && vmStateName(state) !== "paused")
      throw new ServiceError(`${vm.context}: it is not running, so it shows no screen`, "conflict");
    const { ret: mime, stream } = await vm.conn.domainScreenshot({ dom: vm.dom, screen: 0, flags: 0 });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_SCREENSHOT_BYTES) {
        stream.destroy();
        throw new ServiceError(`${vm.context}: its screen is larger than ${MAX_SCREENSHOT_BYTES / 1024 / 1024} MiB as an image; no thumbnail`, "invalid");
      }
      chunks.push(chunk);
    }
    // QEMU before 7.1 answers PPM, which no browser shows.
    if (mime !== "image/png")
      throw new ServiceError(`${vm.context}: QEMU gave its screen as ${mime ?? "an unknown format"}, not PNG; no thumbnail`, "unavailable");
    return { dataUrl: `data:image/png;base64,${Buffer.concat(chunks).toString("base64")}`, takenAt: Date.now() };
  });
}
