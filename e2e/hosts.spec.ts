import { expect, test } from "@playwright/test";
import { startSecondHost, type SecondHost } from "./fixtures/second-host";
import { ADMIN, expectNoHorizontalScroll, navigate, signIn, unique } from "./support/session";
import { removeIfPresent } from "./support/hosts";

// The hosts page (issue 14): every host with its live connection state and what its libvirt says,
// and a second libvirtd (its own namespaces, reached over a veth pair, with an sshd) added over ssh
// the way a sysadmin would: the manager's key into its authorized_keys, the host key compared with
// the host's own, then removed again with its name typed.

test("the hosts page shows this machine's host connected, with its libvirt and QEMU versions, CPU and memory", async ({ page }, testInfo) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Hosts");
  await expect(page.getByRole("heading", { level: 1, name: "Hosts" })).toBeVisible();
  const local = page.getByRole("listitem").filter({ has: page.getByText("this machine", { exact: true }) });
  await expect(local).toHaveCount(1);
  await expect(local.getByTestId("host-state")).toHaveText("connected");
  for (const label of ["libvirt", "Hypervisor", "CPU model", "CPUs", "Memory"]) await expect(local.getByText(label, { exact: true })).toBeVisible();
  await expect(local.getByText(/^QEMU \d+\.\d+\.\d+$/)).toBeVisible();
  await expect(local.getByText(/^\d+\.\d+\.\d+$/).first()).toBeVisible();
  // The local host is neither disabled nor removed from here.
  await expect(local.getByRole("button", { name: "Disable" })).toHaveCount(0);
  await expect(local.getByRole("button", { name: "Remove…" })).toHaveCount(0);
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
  await expectNoHorizontalScroll(page);
});

test.describe("a second host", () => {
  let host: SecondHost | undefined;

  // eslint-disable-next-line no-empty-pattern
  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(90_000);
    host = await startSecondHost({ tls: true });
  });

  test.afterAll(async ({ browser }, testInfo) => {
    const page = await browser.newPage();
    try {
      await signIn(page, ADMIN.username, ADMIN.password);
      for (const name of ["rack-b", "rack-b-renamed", "rack-b-tls"]) await removeIfPresent(page.request, unique(testInfo, name));
    } finally {
      await page.close();
      await host?.stop();
    }
  });

  test("is added with the manager's key and a confirmed host key, shows connected with the pinned fingerprint, is disabled, enabled and renamed, and is removed with its name typed", async ({
    page,
  }, testInfo) => {
    const name = unique(testInfo, "rack-b");
    const address = host!.sshAddress;
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.goto("/hosts");
    await page.getByRole("link", { name: "Add host" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Add a host" })).toBeVisible();

    // The sysadmin copies the manager's public key into the host's authorized_keys.
    const keyBox = page.getByTestId("manager-public-key");
    await expect(keyBox).toHaveText(/^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+/);
    const publicKey = (await keyBox.textContent())!.trim();
    await host!.authorizeKey(publicKey);

    await page.getByLabel("Name", { exact: true }).fill(name);
    // An unencrypted address is refused beside the field, in words.
    const addressField = page.getByLabel("Address");
    await addressField.fill(`qemu+tcp://${host!.address}/system`);
    await page.getByRole("button", { name: "Check host key" }).click();
    await expect(page.getByText(/qemu\+tcp:\/\/ is unencrypted/)).toBeVisible();
    await expect(addressField).toHaveAttribute("aria-invalid", "true");
    // Adding before the key is checked is refused beside the check.
    await addressField.fill(address);
    await page.getByRole("button", { name: "Add host" }).click();
    await expect(page.getByText("Check the host key first: the manager pins it when the host is added.")).toBeVisible();

    await page.getByRole("button", { name: "Check host key" }).click();
    const scanned = page.getByTestId("scanned-host-key");
    await expect(scanned).toContainText("ssh-ed25519");
    await expect(scanned).toContainText(host!.sshHostKeyFingerprint);
    await scanned.getByLabel("This fingerprint matches the host's own").check();
    if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
    await expectNoHorizontalScroll(page);
    await page.getByRole("button", { name: "Add host" }).click();

    await page.waitForURL((url) => url.pathname === "/hosts");
    const card = page.getByRole("listitem", { name: `Host ${name}` });
    await expect(card.getByTestId("host-state")).toHaveText("connected", { timeout: 30_000 });
    await expect(card).toContainText(address);
    await expect(card).toContainText(host!.sshHostKeyFingerprint);
    await expect(card.getByText(/^QEMU \d+\.\d+\.\d+$/)).toBeVisible();
    await expectNoHorizontalScroll(page);

    // Disabled, the manager lets go of it; enabled, it connects again.
    await card.getByRole("button", { name: "Disable" }).click();
    await expect(card.getByTestId("host-state")).toHaveText("disabled");
    await expect(card).toContainText("Disabled: the manager does not connect to it.");
    await card.getByRole("button", { name: "Enable" }).click();
    await expect(card.getByTestId("host-state")).toHaveText("connected", { timeout: 30_000 });

    const renamed = unique(testInfo, "rack-b-renamed");
    await card.getByRole("button", { name: "Edit name" }).click();
    await card.getByLabel("Host name").fill(renamed);
    await card.getByRole("button", { name: "Save name" }).click();
    const renamedCard = page.getByRole("listitem", { name: `Host ${renamed}` });
    await expect(renamedCard.getByTestId("host-state")).toHaveText("connected");

    await renamedCard.getByRole("button", { name: "Remove…" }).click();
    const dialog = page.getByRole("dialog", { name: `Remove host ${renamed}?` });
    await expect(dialog).toContainText("Its VMs keep running on it, but the manager forgets them");
    const confirm = dialog.getByRole("button", { name: "Remove host" });
    await dialog.getByLabel(`Type the host's name, ${renamed}, to confirm`).fill(name);
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type the host's name, ${renamed}, to confirm`).fill(renamed);
    await confirm.click();
    await expect(dialog).toHaveCount(0);
    await expect(renamedCard).toHaveCount(0);
  });
  test("is added over TLS with the CA, client certificate and key read from files, each missing file said beside its field", async ({ page }, testInfo) => {
    const name = unique(testInfo, "rack-b-tls");
    const tls = host!.tls!;
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.goto("/hosts/new");
    await page.getByLabel("TLS (qemu+tls)").check();
    await expect(page.getByTestId("manager-public-key")).toHaveCount(0);
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Address").fill(tls.address);
    await page.getByRole("button", { name: "Add host" }).click();
    for (const label of ["CA certificate", "Client certificate", "Client key"]) {
      await expect(page.getByLabel(label)).toHaveAttribute("aria-invalid", "true");
    }
    await expect(page.getByText("Choose the file.")).toHaveCount(3);

    const file = (fileName: string, text: string) => ({ name: fileName, mimeType: "application/x-pem-file", buffer: Buffer.from(text) });
    await page.getByLabel("CA certificate").setInputFiles(file("cacert.pem", tls.caPem));
    await page.getByLabel("Client certificate").setInputFiles(file("clientcert.pem", tls.certPem));
    await page.getByLabel("Client key").setInputFiles(file("clientkey.pem", tls.keyPem));
    if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
    await expectNoHorizontalScroll(page);
    await page.getByRole("button", { name: "Add host" }).click();

    await page.waitForURL((url) => url.pathname === "/hosts");
    const card = page.getByRole("listitem", { name: `Host ${name}` });
    await expect(card.getByTestId("host-state")).toHaveText("connected", { timeout: 30_000 });
    await expect(card).toContainText("TLS");
    await expect(card).toContainText(tls.address);
    await card.getByRole("button", { name: "Remove…" }).click();
    const dialog = page.getByRole("dialog", { name: `Remove host ${name}?` });
    await dialog.getByLabel(`Type the host's name, ${name}, to confirm`).fill(name);
    await dialog.getByRole("button", { name: "Remove host" }).click();
    await expect(card).toHaveCount(0);
  });
});
