import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ensureLibvirtd, READY_MARKER, virsh } from "../fixtures/test-host";
import { buildBootableIso, cdromBootDomainXml, sha256OfFile, type BootableIso } from "../fixtures/bootable-iso";
import { testRunRoot } from "../fixtures/paths";
import { waitFor } from "../fixtures/wait";
import { pidListeningOn, rssBytes } from "../support/server-process";
import { ADMIN, expectNoHorizontalScroll, signIn, unique } from "../support/session";

/**
 * Issue 16, item 8: ISOs into a pool, as a new admin does it on the pool's page at desktop and
 * phone size. A bootable ISO of the test guest padded to a few hundred MiB is uploaded through the
 * browser, arrives byte-equal while the manager's memory stays flat, and a VM boots from it; an
 * upload is paused and resumed; a wrong SHA-256 deletes the volume; the host downloads a URL; the
 * create-VM form points to the pool's page when it holds no ISO. Names are kvmm-e2e-iso-*-<project>,
 * removed afterwards whatever happened.
 */

const MiB = 1024 * 1024;
/** The big upload: random padding makes it incompressible, so every byte really travels. */
const BIG_PADDING = 300 * MiB;

function namesFor(testInfo: TestInfo) {
  const pool = unique(testInfo, "kvmm-e2e-iso");
  return { pool, dir: `/tmp/${pool}`, vm: unique(testInfo, "kvmm-e2e-iso-vm"), runDir: join(testRunRoot(), unique(testInfo, "iso")) };
}

async function removeAll(testInfo: TestInfo) {
  const { pool, dir, vm, runDir } = namesFor(testInfo);
  await virsh(["destroy", vm]).catch(() => undefined);
  await virsh(["undefine", vm]).catch(() => undefined);
  await virsh(["pool-destroy", pool]).catch(() => undefined);
  await virsh(["pool-undefine", pool]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await rm(runDir, { recursive: true, force: true });
}

// eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument to pass testInfo
test.beforeEach(async ({}, testInfo) => {
  await ensureLibvirtd();
  await removeAll(testInfo);
  const { pool, dir, runDir } = namesFor(testInfo);
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  await virsh(["pool-define-as", pool, "dir", "--target", dir]);
  await virsh(["pool-build", pool]);
  await virsh(["pool-start", pool]);
});

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => removeAll(testInfo));

async function openPool(page: Page, testInfo: TestInfo) {
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
  await signIn(page, ADMIN.username, ADMIN.password, `/storage/local/${namesFor(testInfo).pool}`);
  await expect(page.getByRole("heading", { name: "ISOs and disk images" })).toBeVisible();
}

const uploadForm = (page: Page) => page.getByRole("form", { name: "Upload from this computer" });
const row = (page: Page, volume: string) => page.getByRole("listitem").filter({ has: page.getByRole("progressbar", { name: `Progress of ${volume}` }) });
const progressOf = async (page: Page, volume: string) => Number(await page.getByRole("progressbar", { name: `Progress of ${volume}` }).getAttribute("value"));

async function volumeFileSha256(testInfo: TestInfo, volume: string) {
  return sha256OfFile(join(namesFor(testInfo).dir, volume));
}

// @alone: it measures the manager's memory, which a test running beside it would grow (scripts/test.sh runs these by themselves).
// @desktop: the memory and the boot are the server's and the guest's; the upload form at phone width is the next test's.
test(
  "an ISO of a few hundred MiB uploads byte-equal with a moving progress bar, the manager's memory stays flat, and a VM boots from it",
  { tag: ["@alone", "@desktop"] },
  async ({ page }, testInfo) => {
    test.setTimeout(600_000);
    const { pool, vm, runDir } = namesFor(testInfo);
    const hostname = `iso-${testInfo.project.name}`;
    const iso: BootableIso = await buildBootableIso(join(runDir, "boot.iso"), { hostname, paddingBytes: BIG_PADDING });
    await openPool(page, testInfo);

    const pid = await pidListeningOn(Number(process.env.KVMM_E2E_PORT));
    // A first small upload loads the route's code and libvirt's stream paths, so the baseline holds them.
    const warmup = join(runDir, "warmup.img");
    await writeFile(warmup, randomBytes(8 * MiB));
    await uploadForm(page).getByLabel("File", { exact: true }).setInputFiles(warmup);
    await uploadForm(page).getByRole("button", { name: "Upload" }).click();
    await expect(row(page, "warmup.img").getByText("done", { exact: true })).toBeVisible();

    const volume = "boot.iso";
    await uploadForm(page).getByLabel("File", { exact: true }).setInputFiles(iso.path);
    await expect(uploadForm(page).getByLabel("Save as volume", { exact: true })).toHaveValue(volume);
    await uploadForm(page).getByLabel("SHA-256 (optional)", { exact: true }).fill(iso.sha256);
    await expectNoHorizontalScroll(page);

    const baseline = await rssBytes(pid);
    let peak = baseline;
    const sampler = setInterval(
      () =>
        void rssBytes(pid).then(
          (rss) => (peak = Math.max(peak, rss)),
          () => undefined,
        ),
      50,
    );
    const started = Date.now();
    await uploadForm(page).getByRole("button", { name: "Upload" }).click();
    // The bar is read as the browser shows it, until the server says the file is complete and verified.
    const seen: number[] = [];
    try {
      await waitFor(
        async () => {
          const value = await progressOf(page, volume).catch(() => NaN);
          if (Number.isFinite(value) && value !== seen.at(-1)) seen.push(value);
          return row(page, volume).getByText("done, SHA-256 verified").isVisible();
        },
        { timeoutMs: 300_000, intervalMs: 50, what: `the upload of ${volume} to finish` },
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const between = seen.filter((v) => v > 0 && v < iso.size);
    const figures = {
      fileMiB: +(iso.size / MiB).toFixed(1),
      seconds: +seconds.toFixed(1),
      MBps: +(iso.size / 1e6 / seconds).toFixed(1),
      rssBaselineMiB: +(baseline / MiB).toFixed(1),
      rssPeakMiB: +(peak / MiB).toFixed(1),
      progressValuesSeen: between.length,
    };
    console.log(`[iso upload ${testInfo.project.name}] ${JSON.stringify(figures)}`);
    testInfo.annotations.push({ type: "figures", description: JSON.stringify(figures) });
    expect(between.length, "the progress bar showed values between empty and full").toBeGreaterThanOrEqual(3);
    expect(between, "the progress bar only moved forward").toEqual([...between].sort((a, b) => a - b));
    expect(peak - baseline, `the manager grew by ${figures.rssPeakMiB - figures.rssBaselineMiB} MiB for a ${figures.fileMiB} MiB file`).toBeLessThan(
      iso.size / 8,
    );
    expect(await volumeFileSha256(testInfo, volume), "the volume's file has the same SHA-256 as the uploaded one").toBe(iso.sha256);

    // Boot it: a TCG VM whose only disk is this volume as a CD-ROM reaches the guest's ready marker.
    const serialLog = join(runDir, "serial.log");
    const xmlPath = join(runDir, "domain.xml");
    await writeFile(xmlPath, cdromBootDomainXml({ name: vm, isoPath: join(namesFor(testInfo).dir, volume), serialLog }));
    await virsh(["define", xmlPath]);
    await virsh(["start", vm], { timeoutMs: 120_000 });
    const marker = await waitFor(async () => READY_MARKER.exec(await readFile(serialLog, "utf8").catch(() => "")), {
      timeoutMs: 240_000,
      intervalMs: 500,
      what: `VM ${vm} to boot from ${volume} in pool ${pool}`,
      describe: async () => `last serial output:\n${(await readFile(serialLog, "utf8").catch(() => "")).split("\n").slice(-30).join("\n")}`,
    });
    expect(marker[1], "the guest that booted is the one on the uploaded ISO").toBe(hostname);
  },
);

test("an upload paused mid-way resumes where it stopped and arrives byte-equal; one given up is deleted once confirmed; a wrong SHA-256 deletes the volume, said in words", async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  const { runDir } = namesFor(testInfo);
  const data = randomBytes(48 * MiB);
  const source = join(runDir, "paused.iso");
  await writeFile(source, data);
  const sha256 = createHash("sha256").update(data).digest("hex");
  await openPool(page, testInfo);

  // Slow the browser's uploads down so that "Pause" lands mid-way, whatever this machine's speed.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * MiB });
  await uploadForm(page).getByLabel("File", { exact: true }).setInputFiles(source);
  await uploadForm(page).getByLabel("SHA-256 (optional)", { exact: true }).fill(sha256);
  await uploadForm(page).getByRole("button", { name: "Upload" }).click();
  const item = row(page, "paused.iso");
  await expect.poll(() => progressOf(page, "paused.iso"), { timeout: 60_000 }).toBeGreaterThan(8 * MiB);
  await expect(item.getByText(/MB\/s/)).toBeVisible();
  await item.getByRole("button", { name: "Pause" }).click();
  await expect(item.getByText("stopped", { exact: true })).toBeVisible();
  const pausedAt = await progressOf(page, "paused.iso");
  expect(pausedAt, "paused mid-way").toBeLessThan(data.length);

  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await item.getByRole("button", { name: "Resume" }).click();
  await expect(item.getByText("done, SHA-256 verified")).toBeVisible({ timeout: 60_000 });
  expect(await volumeFileSha256(testInfo, "paused.iso"), "the resumed volume has the file's SHA-256").toBe(sha256);
  await expect(page.getByRole("listitem", { name: "Volume paused.iso" })).toBeVisible();

  // Given up half-way: after a confirmation, the upload stops and its volume goes.
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * MiB });
  await uploadForm(page).getByLabel("File", { exact: true }).setInputFiles(source);
  await uploadForm(page).getByLabel("Save as volume", { exact: true }).fill("given-up.iso");
  await uploadForm(page).getByRole("button", { name: "Upload" }).click();
  await expect.poll(() => progressOf(page, "given-up.iso"), { timeout: 60_000 }).toBeGreaterThan(4 * MiB);
  const givenUp = row(page, "given-up.iso");
  await givenUp.getByRole("button", { name: "Cancel and delete" }).click();
  await givenUp.getByRole("button", { name: "Yes, stop and delete" }).click();
  await expect(row(page, "given-up.iso")).toHaveCount(0);
  await expect.poll(() => virsh(["vol-list", namesFor(testInfo).pool])).not.toContain("given-up.iso");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // The same bytes with a SHA-256 that does not match: the volume goes, and the page says why.
  await uploadForm(page).getByLabel("File", { exact: true }).setInputFiles(source);
  await uploadForm(page).getByLabel("Save as volume", { exact: true }).fill("mismatch.iso");
  await uploadForm(page).getByLabel("SHA-256 (optional)", { exact: true }).fill("0".repeat(64));
  await uploadForm(page).getByRole("button", { name: "Upload" }).click();
  await expect(row(page, "mismatch.iso").getByRole("alert")).toHaveText(
    `The file's SHA-256 is ${sha256}, not the ${"0".repeat(64)} you gave: the volume mismatch.iso was deleted.`,
    { timeout: 60_000 },
  );
  await expect(page.getByRole("listitem", { name: "Volume mismatch.iso" })).toHaveCount(0);
  await expectNoHorizontalScroll(page);
});

test("the host downloads an ISO from a URL with its progress on the page; the create-VM form links to the pool while it holds no ISO", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  const { pool } = namesFor(testInfo);
  const data = randomBytes(24 * MiB);
  const sha256 = createHash("sha256").update(data).digest("hex");
  // A mirror on this machine that sends slowly enough for the page to show the download under way.
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { "content-length": String(data.length) });
    res.write(data.subarray(0, 4 * MiB));
    void released.then(() => res.end(data.subarray(4 * MiB)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await signInAndCreateForm(page, testInfo, pool);
    await page.getByRole("link", { name: `Upload an ISO to pool ${pool}, or have the host download one` }).click();
    await expect(page.getByRole("heading", { name: "ISOs and disk images" })).toBeInViewport();

    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/images/mirror.iso`;
    const form = page.getByRole("form", { name: "Download from a URL (by the host)" });
    await form.getByLabel("Address (http or https)", { exact: true }).fill(url);
    await form.getByLabel("SHA-256 (optional)", { exact: true }).fill(sha256);
    await form.getByRole("button", { name: "Download" }).click();
    await expect(form.getByRole("status")).toHaveText("Downloading into mirror.iso.");
    const item = row(page, "mirror.iso");
    await expect(item.getByText("downloading", { exact: true })).toBeVisible();
    await expect.poll(() => progressOf(page, "mirror.iso")).toBe(4 * MiB);
    release();
    await expect(item.getByText("done, SHA-256 verified")).toBeVisible();
    expect(await volumeFileSha256(testInfo, "mirror.iso")).toBe(sha256);
    await expectNoHorizontalScroll(page);

    // With an ISO in the pool, the form offers it and no longer points away.
    await signInAndCreateForm(page, testInfo, pool, { signedIn: true });
    await expect(page.getByLabel("Image", { exact: true })).toHaveValue("mirror.iso");
    await expect(page.getByRole("link", { name: /Upload an ISO to pool/ })).toHaveCount(0);
  } finally {
    release();
    server.close();
  }
});

async function signInAndCreateForm(page: Page, testInfo: TestInfo, pool: string, { signedIn = false } = {}) {
  if (!signedIn) {
    if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
    await signIn(page, ADMIN.username, ADMIN.password);
  }
  await page.goto("/vms/new");
  await page.getByLabel("Install from", { exact: true }).selectOption("iso");
  await page.getByLabel("Image pool", { exact: true }).selectOption(pool);
}
