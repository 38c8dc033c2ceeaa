import { describe, expect, it } from "vitest";
import { createIssuingApp } from "../../../../functions/issuer-api/app.ts";
import { parseClients } from "../../../../shared/access/clients.ts";
import { sha256, toHex } from "../../../../shared/access/credentials.ts";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { MemoryRefreshStore } from "../../../../shared/refresh/memory.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const CREDENTIAL = "django-login-credential-0123456789abcdef";
const OTHER = "rails-login-credential-0123456789abcdef0";

async function fixture(keyring: Keyring | undefined, refreshing = false) {
  const clock = { t: T0 + 1000, now: () => clock.t };
  const lines: string[] = [];
  const clients = parseClients(
    JSON.stringify([
      {
        name: "django-login",
        tokenSha256: toHex(sha256(CREDENTIAL)),
        claims: ["role"],
        audiences: ["api"],
        maxLifetimeSeconds: 900,
      },
      { name: "rails-login", tokenSha256: toHex(sha256(OTHER)) },
    ]),
    86_400,
  );
  const app = createIssuingApp({
    issuer: createIssuer({
      keyring: { load: async () => keyring },
      clock,
      ...(refreshing
        ? {
            refresh: {
              store: new MemoryRefreshStore(
                new MemoryRevocationStore(
                  { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 },
                  clock,
                ),
              ),
              secret: new Uint8Array(32).fill(7),
            },
          }
        : {}),
    }),
    clients,
    clock,
    write: (line) => lines.push(line),
  });
  const post = async (
    body: unknown,
    credential: string | null = CREDENTIAL,
    path = "/v1/tokens",
  ) => {
    const answer = await app.request(path, {
      method: "POST",
      headers: credential === null ? {} : { authorization: `Bearer ${credential}` },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return {
      status: answer.status,
      headers: answer.headers,
      body: (await answer.json()) as { token: string } & Record<string, unknown>,
    };
  };
  return { post, lines, clock };
}

describe("the issuing endpoint", () => {
  it("issues a token the verifier accepts, with the claims and audience the client may set and the client's name as azp (201), counted by client and kid", async () => {
    const keyring = await newKeyring("ES256", T0);
    const { post, lines, clock } = await fixture(keyring);
    const answer = await post({
      sub: "alice",
      claims: { role: "staff" },
      audience: "api",
      lifetimeSeconds: 600,
    });
    expect(answer).toMatchObject({
      status: 201,
      body: {
        kid: keyring.keys[0]?.kid,
        jti: expect.any(String),
        expiresAt: new Date(T0 + 1000 + 600_000).toISOString(),
      },
    });
    const verified = await createVerifier({ audience: "api" }).verify(
      answer.body.token,
      keyring,
      clock.t,
    );
    expect(verified).toMatchObject({
      ok: true,
      claims: { sub: "alice", role: "staff", aud: "api", azp: "django-login" },
    });
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { Client: "django-login", Kid: keyring.keys[0]?.kid, TokensIssued: 1 },
    ]);
    expect(lines.join("")).not.toContain(answer.body.token);
  });

  it("answers 401 without or with a wrong credential, 403 for a claim or audience the client may not set", async () => {
    const { post, lines } = await fixture(await newKeyring("HS256", T0));
    const missing = await post({ sub: "a" }, null);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="keyward-issuing"');
    expect((await post({ sub: "a" }, "wrong-credential-0123456789abcdef")).status).toBe(401);
    expect(await post({ sub: "a", claims: { admin: true } })).toMatchObject({
      status: 403,
      body: {
        error: { code: "claim_not_allowed", message: "client django-login may not set admin" },
      },
    });
    expect(await post({ sub: "a", audience: "billing" })).toMatchObject({
      status: 403,
      body: { error: { code: "audience_not_allowed" } },
    });
    expect(lines).toEqual([]);
  });

  it("answers bad input with a JSON 400 naming the problem", async () => {
    const { post } = await fixture(await newKeyring("HS256", T0));
    for (const [body, message] of [
      ["{", "request body is not valid JSON"],
      [{ claims: {} }, "body.sub must be a non-empty string of at most 512 characters"],
      [{ sub: "a", extra: 1 }, "body has unknown field extra"],
      [{ sub: "a", claims: { exp: 1 } }, "body.claims cannot set exp: keyward sets them"],
      [
        { sub: "a", lifetimeSeconds: 901 },
        "body.lifetimeSeconds must be a whole number from 1 to 900",
      ],
    ] as const) {
      expect(await post(body)).toMatchObject({ status: 400, body: { error: { message } } });
    }
  });

  it("issues a refresh token when asked and exchanges it for a new pair with the login's claims, counted like an issuance", async () => {
    const keyring = await newKeyring("HS256", T0);
    const { post, lines, clock } = await fixture(keyring, true);
    const login = await post({ sub: "alice", claims: { role: "staff" }, refresh: true });
    expect(login).toMatchObject({
      status: 201,
      body: { refreshToken: expect.stringMatching(/^kwrt_/), familyId: expect.any(String) },
    });
    const refreshed = await post(
      { refreshToken: login.body.refreshToken },
      CREDENTIAL,
      "/v1/tokens/refresh",
    );
    expect(refreshed).toMatchObject({
      status: 200,
      body: { familyId: login.body.familyId, refreshToken: expect.stringMatching(/^kwrt_/) },
    });
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
    expect(await createVerifier().verify(refreshed.body.token, keyring, clock.t)).toMatchObject({
      ok: true,
      claims: { sub: "alice", role: "staff", azp: "django-login", fid: login.body.familyId },
    });
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain(String(login.body.refreshToken));
  });

  it("refreshes a family only for the client it was issued to: another client gets 401 unknown, and the token still works", async () => {
    const { post } = await fixture(await newKeyring("HS256", T0), true);
    const login = await post({ sub: "alice", refresh: true });
    const body = { refreshToken: login.body.refreshToken };
    expect(await post(body, OTHER, "/v1/tokens/refresh")).toMatchObject({
      status: 401,
      body: { error: { code: "refresh_token_unknown" } },
    });
    expect((await post(body, CREDENTIAL, "/v1/tokens/refresh")).status).toBe(200);
  });

  it("answers a refused refresh with 401 and its reason, bad input with 400", async () => {
    const { post } = await fixture(await newKeyring("HS256", T0), true);
    const refresh = (body: unknown, credential: string | null = CREDENTIAL) =>
      post(body, credential, "/v1/tokens/refresh");
    const unknown = await refresh({ refreshToken: `kwrt_${"x".repeat(43)}` });
    expect(unknown).toMatchObject({
      status: 401,
      body: { error: { code: "refresh_token_unknown" } },
    });
    expect(unknown.headers.get("www-authenticate")).toContain('error="invalid_grant"');
    const access = await post({ sub: "a" });
    expect(await refresh({ refreshToken: access.body.token })).toMatchObject({
      status: 401,
      body: { error: { code: "refresh_token_malformed" } },
    });
    expect(await refresh({ refreshToken: 1 })).toMatchObject({ status: 400 });
    expect(await refresh({ refreshToken: "x", sub: "a" })).toMatchObject({ status: 400 });
    expect(await refresh({ refreshToken: `kwrt_${"x".repeat(43)}` }, null)).toMatchObject({
      status: 401,
      body: { error: { code: "unauthorized" } },
    });
    expect(await post({ sub: "a", refresh: "yes" })).toMatchObject({ status: 400 });
  });

  it("answers refresh: true with a 400 when the issuer has no refresh tokens configured", async () => {
    const { post } = await fixture(await newKeyring("HS256", T0));
    expect(await post({ sub: "a", refresh: true })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("refresh tokens are not configured") } },
    });
  });

  it("answers a body over 64 KiB with a JSON 413", async () => {
    const { post } = await fixture(await newKeyring("HS256", T0));
    expect(await post({ sub: "a", claims: { role: "x".repeat(65 * 1024) } })).toMatchObject({
      status: 413,
      body: { error: { code: "payload_too_large" } },
    });
  });

  it("answers 503 with Retry-After when it has no keyring to sign with", async () => {
    const { post } = await fixture(undefined);
    const answer = await post({ sub: "a" });
    expect(answer).toMatchObject({ status: 503, body: { error: { code: "keyring_unavailable" } } });
    expect(answer.headers.get("retry-after")).toBe("5");
  });

  it("reads its clients from JSON and names every problem at once", () => {
    const bad = [{ name: "x", tokenSha256: "nope", claims: "role", maxLifetimeSeconds: 10 ** 9 }];
    let problems: readonly string[] = [];
    try {
      parseClients(JSON.stringify(bad), 86_400);
    } catch (error) {
      if (!(error instanceof ConfigInvalid)) throw error;
      problems = error.problems;
    }
    expect([...problems].sort()).toEqual([
      "client x: claims must be an array of non-empty strings",
      "client x: maxLifetimeSeconds must be a whole number from 1 to 86400 (the maximum token lifetime)",
      "client x: tokenSha256 must be 64 lower-case hex digits",
    ]);
  });
});
