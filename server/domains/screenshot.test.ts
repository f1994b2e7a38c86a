import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import type { ResolvedVm } from "./lookup";
import { MAX_SCREENSHOT_BYTES, vmThumbnail } from "./screenshot";
import { THUMBNAIL_MAX_AGE_MS } from "./thumbnail-age";

const PNG = Buffer.from("\x89PNG\r\n\x1a\nfake", "latin1");

/** A VM whose libvirt answers a running state and a screenshot of `bytes`, counting the screenshots taken. */
function fakeVm(uuidByte: number, bytes: () => Buffer, mime = "image/png") {
  const taken = { count: 0 };
  const conn = {
    domainGetState: async () => ({ state: 1, reason: 0 }),
    domainScreenshot: async () => {
      taken.count++;
      return { ret: mime, stream: Readable.from([bytes()]) };
    },
  };
  const vm = {
    hostId: "local",
    name: `web-${uuidByte}`,
    context: `VM "web-${uuidByte}" on host "local"`,
    conn,
    dom: { name: `web-${uuidByte}`, uuid: Buffer.alloc(16, uuidByte), id: 1 },
  } as unknown as ResolvedVm;
  return { vm, taken };
}

test("viewers of one VM within the maximum age share one screenshot; after it, the next viewer gets a new one", async () => {
  const { vm, taken } = fakeVm(1, () => PNG);
  const t0 = 1_000_000;
  const first = await vmThumbnail(vm, t0);
  assert.equal(first.dataUrl, `data:image/png;base64,${PNG.toString("base64")}`);
  await Promise.all([vmThumbnail(vm, t0 + 1), vmThumbnail(vm, t0 + THUMBNAIL_MAX_AGE_MS - 1)]);
  assert.equal(taken.count, 1);
  await vmThumbnail(vm, t0 + THUMBNAIL_MAX_AGE_MS);
  assert.equal(taken.count, 2);
});

test("a screen larger than the bound is refused, and a failure is not kept for the next viewer", async () => {
  let big = true;
  const { vm, taken } = fakeVm(2, () => (big ? Buffer.alloc(MAX_SCREENSHOT_BYTES + 1) : PNG));
  await assert.rejects(vmThumbnail(vm, 5), /VM "web-2" on host "local": its screen is larger than 8 MiB/);
  big = false;
  assert.ok((await vmThumbnail(vm, 6)).dataUrl.startsWith("data:image/png;base64,"));
  assert.equal(taken.count, 2);
});

test("a screen QEMU gives as PPM is refused in words: no browser shows it", async () => {
  const { vm } = fakeVm(3, () => Buffer.from("P6\n1 1\n255\n\0\0\0"), "image/x-portable-pixmap");
  await assert.rejects(vmThumbnail(vm, 7), /gave its screen as image\/x-portable-pixmap, not PNG/);
});
