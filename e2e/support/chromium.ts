/**
 * How every browser the tests and benchmarks drive is started: Debian's chromium (`npx playwright
 * install` cannot download here), as root in a container (no sandbox), with nothing running in the
 * background that would reach the network or compete with the page for the CPU being measured.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: "/usr/bin/chromium",
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
