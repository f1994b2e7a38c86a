/**
 * How every browser the tests and benchmarks drive is started: Debian's chromium-headless-shell
 * (`npx playwright install` cannot download here), as root in a container (no sandbox), with nothing
 * running in the background that would reach the network or compete with the page for the CPU being
 * measured. The headless shell, not the full browser in its new headless mode (Playwright's own
 * choice for headless runs): on 2 cores a fresh context, a sign-in and three pages cost it 3.7–4.2
 * CPU-s and 2.3–2.8 s, against 7.2–8.3 CPU-s and 3.8–4.4 s for /usr/bin/chromium (same release, 156).
 */
export const CHROMIUM_LAUNCH = {
  executablePath: "/usr/bin/chromium-headless-shell",
  args: [
    "--no-sandbox",
    // /dev/shm is small in containers; chromium falls back to /tmp.
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};
