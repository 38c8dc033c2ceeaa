import { describe, expect, it } from "vitest";
import { newKeyring } from "../../../support/keyrings.ts";
import { CREDENTIALS, opsFixture } from "../../../support/ops.ts";

const reason = "incident 42";

describe("the ops API", () => {
  it("answers health without a credential", async () => {
    const { call } = await opsFixture();
    expect(await call("GET", "/v1/health", undefined, null)).toMatchObject({
      status: 200,
      body: { status: "ok" },
    });
  });

  it("serves public keys only in the JWKS, with a cache lifetime that fits pre-publication", async () => {
    const { call, keyring } = await opsFixture();
    const answer = await call("GET", "/.well-known/jwks.json", undefined, null);
    expect(answer.headers.get("cache-control")).toBe("public, max-age=60");
    const keys = answer.body.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kid: keyring!.keys[0]!.kid,
      alg: "ES256",
      use: "sig",
      kty: "EC",
    });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("never serves HMAC material, anywhere", async () => {
    const { call } = await opsFixture({ keyring: await newKeyring("HS256") });
    const jwks = await call("GET", "/.well-known/jwks.json", undefined, null);
    expect(jwks.body).toEqual({ keys: [] });
    const keys = await call("GET", "/v1/keys");
    expect(JSON.stringify(keys.body)).not.toMatch(/"k"|"d"|jwk/);
  });

  describe("authentication", () => {
    it("refuses a missing or wrong credential with 401 and WWW-Authenticate", async () => {
      const { app } = await opsFixture();
      const missing = await app.request("/v1/keys");
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="keyward"');
      expect(await missing.json()).toMatchObject({ error: { code: "unauthorized" } });
      const wrong = await app.request("/v1/keys", {
        headers: { authorization: "Bearer not-a-credential" },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    });

    it("takes the credential from X-Keyward-Credential when Authorization carries a SigV4 signature", async () => {
      const { app } = await opsFixture();
      const sigv4 =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=abc";
      const signed = await app.request("/v1/keys", {
        headers: { authorization: sigv4, "x-keyward-credential": CREDENTIALS.viewer },
      });
      expect(signed.status).toBe(200);
      const wrong = await app.request("/v1/keys", {
        headers: { authorization: sigv4, "x-keyward-credential": "not-a-credential" },
      });
      expect(wrong.status).toBe(401);
      // A valid bearer credential does not rescue a wrong dedicated header: one credential per request.
      const both = await app.request("/v1/keys", {
        headers: {
          authorization: `Bearer ${CREDENTIALS.viewer}`,
          "x-keyward-credential": "not-a-credential",
        },
      });
      expect(both.status).toBe(401);
    });

    it("refuses an operator whose role is too low with 403", async () => {
      const { call } = await opsFixture();
      expect(await call("POST", "/v1/revocations", { sub: "a", reason }, "viewer")).toMatchObject({
        status: 403,
        body: { error: { code: "forbidden" } },
      });
      expect(await call("POST", "/v1/keys/rotate", { reason }, "responder")).toMatchObject({
        status: 403,
      });
      expect(
        (await call("POST", "/v1/revocations", { sub: "a", reason }, "responder")).status,
      ).toBe(201);
      expect((await call("GET", "/v1/keys", undefined, "viewer")).status).toBe(200);
    });
  });

  describe("input", () => {
    it("answers malformed JSON, unknown fields and missing reasons with 400", async () => {
      const { call } = await opsFixture();
      expect(await call("POST", "/v1/revocations", undefined, "admin", "{not json")).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_json" } },
      });
      expect(
        await call("POST", "/v1/revocations", { sub: "a", reason, colour: "red" }),
      ).toMatchObject({
        status: 400,
        body: { error: { message: "body has unknown field colour" } },
      });
      expect(await call("POST", "/v1/revocations", { sub: "a" })).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining("reason") } },
      });
      expect(await call("POST", "/v1/revocations", { sub: "a", all: true, reason })).toMatchObject({
        status: 400,
      });
      expect(await call("POST", "/v1/revocations", { jti: "j", reason })).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining("exp") } },
      });
      expect(await call("POST", "/v1/keys/rotate", { mode: "sideways", reason })).toMatchObject({
        status: 400,
      });
      expect(await call("GET", "/v1/audit?limit=0")).toMatchObject({ status: 400 });
    });

    it("refuses an oversize body with 413", async () => {
      const { call } = await opsFixture({ maxBodyBytes: 1024 });
      expect(
        await call("POST", "/v1/revocations", { sub: "x".repeat(2000), reason }),
      ).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    });

    it("answers unknown routes with a JSON 404", async () => {
      const { call } = await opsFixture();
      expect(await call("GET", "/v1/nothing")).toMatchObject({
        status: 404,
        body: { error: { code: "not_found" } },
      });
    });
  });
});
