import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { type KeywardEnv, keyward } from "../../../../functions/edge/middleware.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import type { AuthResult } from "../../../../shared/verification/authenticate.ts";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl";

const allowed: AuthResult = {
  ok: true,
  claims: { sub: "alice", exp: 2_000_000_000, scope: "read" },
  kid: "k1",
  keyStatus: "current",
  legacy: false,
  staleSigner: false,
  staleKeyring: false,
  keyringAgeMs: 10,
  revocationUnchecked: false,
  revocationMs: 1,
};

/** An app behind the middleware whose verification answers `result` and records what it saw. */
function appWith(result: AuthResult, options: Partial<Parameters<typeof keyward>[0]> = {}) {
  const seen: (string | undefined)[] = [];
  const results: AuthResult[] = [];
  const app = new Hono<KeywardEnv>();
  app.use(
    "*",
    keyward({
      authenticate: async (token) => {
        seen.push(token);
        return result;
      },
      onResult: (r) => results.push(r),
      ...options,
    }),
  );
  app.get("/me", (c) => c.json({ sub: c.get("keyward").claims.sub, kid: c.get("keyward").kid }));
  return { app, seen, results };
}

describe("keyward() Hono middleware", () => {
  it("refuses bad options when it is made, naming each", () => {
    expect(() => keyward({} as never)).toThrow(ConfigInvalid);
    const made = () =>
      keyward({
        authenticate: async () => allowed,
        tokenSource: { header: "X Token", cookie: "bad cookie" },
        realm: 'a"b',
      });
    expect(made).toThrow(
      expect.objectContaining({
        problems: [
          "keyward(): tokenSource.header must be a lower-case HTTP header name",
          "keyward(): tokenSource.cookie must be a cookie name",
          "keyward(): realm must be printable ASCII without quotes",
        ],
      }),
    );
  });

  it("passes the verified claims to the route, and reads the Bearer token of Authorization", async () => {
    const { app, seen, results } = appWith(allowed);
    const response = await app.request("/me", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: "alice", kid: "k1" });
    expect(seen).toEqual([TOKEN]);
    expect(results).toEqual([allowed]);
  });

  it("reads the token from a cookie when configured and the header is absent", async () => {
    const { app, seen } = appWith(allowed, {
      tokenSource: { header: "x-token", cookie: "session" },
    });
    await app.request("/me", { headers: { cookie: `theme=dark; session=${TOKEN}` } });
    expect(seen).toEqual([TOKEN]);
  });

  it("answers a refused token 401 with an RFC 6750 challenge and the reason, never the token", async () => {
    const { app } = appWith({ ok: false, reason: "key_retired", kid: "k0" });
    const response = await app.request("/me", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="keyward", error="invalid_token", error_description="key_retired"',
    );
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: { code: "key_retired", message: "the token was refused" },
    });
    expect(body).not.toContain(TOKEN);
  });

  it("challenges without an error code when no token was sent", async () => {
    const { app } = appWith({ ok: false, reason: "token_missing" });
    const response = await app.request("/me");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="keyward"');
  });

  it("answers 503 with Retry-After when the keyring or the revocation store could not answer", async () => {
    for (const reason of ["store_unavailable", "keyring_unavailable"] as const) {
      const { app } = appWith({ ok: false, reason });
      const response = await app.request("/me", { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toMatchObject({ error: { code: reason } });
    }
  });
});
