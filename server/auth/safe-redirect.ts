/**
 * Where to send a browser after signing in: a path on this site, or "/" for anything that would
 * leave it. Parsing with the URL parser (not string checks) matters: `/\evil.example` and
 * `/%5Cevil.example` look like paths, but browsers read `\` as `/` and go to evil.example.
 */
export function sameOriginPath(target: string | null | undefined, base = "https://kvm-manager.invalid"): string {
  // Control characters (tab, newline) are dropped by the URL parser and by browsers alike: refused outright.
  if (!target || [...target].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return "/";
  let url: URL;
  let origin: string;
  try {
    origin = new URL(base).origin;
    url = new URL(target, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  // A path that starts with two slashes is read as another host when used as a relative URL.
  const path = url.pathname.replace(/^\/{2,}/, "/");
  return `${path}${url.search}${url.hash}`;
}
