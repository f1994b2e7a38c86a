import type { DashboardServer } from "./dashboard-server";

/** A browser in miniature for tests over HTTP(S): a cookie jar, enough for next-auth's CSRF and session cookies. */
export interface ClientOrigin {
  /** Sent as X-Forwarded-For: believed only when the server lists the peer as a trusted proxy. */
  forwardedFor?: string;
}

export class HttpClient {
  private cookies = new Map<string, string>();
  constructor(
    private readonly server: DashboardServer,
    private readonly origin: ClientOrigin = {},
  ) {}

  async fetch(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    if (this.origin.forwardedFor) headers.set("x-forwarded-for", this.origin.forwardedFor);
    const res = await this.server.fetch(path, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const value = pair!.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(c)) this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
    return res;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** A copy of this client's cookies: the same browser session seen from elsewhere (a stolen cookie, a second tab). */
  clone(): HttpClient {
    const copy = new HttpClient(this.server, this.origin);
    for (const [k, v] of this.cookies) copy.cookies.set(k, v);
    return copy;
  }

  async csrfToken(): Promise<string> {
    return ((await (await this.fetch("/api/auth/csrf")).json()) as { csrfToken: string }).csrfToken;
  }

  async signIn(username: string, password: string) {
    const csrfToken = await this.csrfToken();
    return this.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, username, password, json: "true" }),
    });
  }

  async signOut() {
    const csrfToken = await this.csrfToken();
    return this.fetch("/api/auth/signout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, json: "true" }),
    });
  }

  /** One tRPC call over HTTP, as the browser's client makes it (not batched). */
  trpc(kind: "query" | "mutation", path: string, input?: unknown) {
    if (kind === "query") {
      const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      return this.fetch(`/api/trpc/${path}${query}`);
    }
    return this.fetch(`/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: input === undefined ? undefined : JSON.stringify(input),
    });
  }
}
