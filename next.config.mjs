import createNextIntlPlugin from "next-intl/plugin";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native addons cannot be bundled: they are loaded from node_modules at run time.
  serverExternalPackages: ["better-sqlite3", "@node-rs/argon2"],
  poweredByHeader: false,
  // forbidden() and forbidden.tsx: a page a role may not open answers 403 inside the app's shell.
  experimental: { authInterrupts: true },
  reactStrictMode: true,
  // `npm test` type-checks the whole repository with tsc once; checking again here only slows the build.
  typescript: { ignoreBuildErrors: true },
};

// The words of every page come from next-intl; its per-request configuration (locale, catalog) is here.
const withNextIntl = createNextIntlPlugin("./server/i18n/request.ts");

export default withNextIntl(nextConfig);
