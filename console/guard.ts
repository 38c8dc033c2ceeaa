import { createHmac } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { holderOf, sha256 } from "../shared/access/credentials.ts";

const COOKIE = "kw_console";

/**
 * Only the browser the console was opened in may use it. `keyward console` (or the local stack)
 * makes a secret per launch and prints the console's URL with it (`/console?k=…`); that first
 * request trades it for a cookie the browser sends back only to this server, only from its own
 * pages (HttpOnly, SameSite=Strict, scoped to the console), and drops it from the address bar.
 * Every other request must carry the cookie, compared in constant time. An action (a POST) must
 * also come from the console's own page: the browser says so (`Sec-Fetch-Site`, `Origin`), and the
 * form carries a token derived from the secret. Another page, tab or site cannot drive it.
 */
export function launchGuard(secret: string, base: string): MiddlewareHandler {
  const expected = [{ tokenSha256: sha256(secret) }];
  const formToken = formTokenOf(secret);
  const tokens = [{ tokenSha256: sha256(formToken) }];
  return async (c, next) => {
    const given = c.req.query("k");
    if (given !== undefined && c.req.method === "GET") {
      if (holderOf(expected, given) === undefined) return refused(c);
      setCookie(c, COOKIE, secret, {
        httpOnly: true,
        sameSite: "Strict",
        path: base,
        secure: new URL(c.req.url).protocol === "https:",
      });
      return c.redirect(base, 303);
    }
    if (holderOf(expected, getCookie(c, COOKIE) ?? "") === undefined) return refused(c);
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const site = c.req.header("sec-fetch-site");
      const origin = c.req.header("origin");
      if (site !== undefined && site !== "same-origin") return refused(c);
      if (origin !== undefined && origin !== new URL(c.req.url).origin) return refused(c);
      const body = await c.req.parseBody();
      const token = typeof body.form_token === "string" ? body.form_token : "";
      if (holderOf(tokens, token) === undefined) return refused(c);
    }
    await next();
  };
}

/** The token every form of this launch carries: derived from the secret, never the secret. */
export function formTokenOf(secret: string): string {
  return createHmac("sha256", secret).update("keyward console form").digest("base64url");
}

function refused(c: Context) {
  return c.text(
    "Forbidden: open the console from the address `keyward console` (or the local stack) printed.",
    403,
  );
}
