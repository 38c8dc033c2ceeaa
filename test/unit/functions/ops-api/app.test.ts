import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/clock.ts";
import { activateKey, retireKey } from "../../../../shared/keyring/transitions.ts";
import { type RevocationStore, StoreUnavailable } from "../../../../shared/revocation/store.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { CREDENTIALS, opsFixture } from "../../../support/ops.ts";
import { usageCounts } from "../../../support/usage.ts";

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

  describe("keys", () => {
    it("lists metadata, never material, with each key's next transition", async () => {
      const { call, keyring } = await opsFixture();
      const answer = await call("GET", "/v1/keys");
      expect(answer.status).toBe(200);
      expect(answer.body.keys).toEqual([
        expect.objectContaining({
          kid: keyring!.keys[0]!.kid,
          status: "current",
          share: null,
          next: expect.objectContaining({ action: "publish-successor" }),
        }),
      ]);
      expect(JSON.stringify(answer.body)).not.toContain(keyring!.keys[0]!.jwk!.d!);
    });

    it("reports each key's share of the last day's verifications when figures exist", async () => {
      const usage = new MemoryUsageStore();
      const { call, keyring, clock } = await opsFixture({ usage });
      await usage.add(usageCounts({ [keyring!.keys[0]!.kid]: 3, "some-old-kid": 1 }), clock.t);
      expect((await call("GET", "/v1/keys")).body.keys).toEqual([
        expect.objectContaining({ share: 0.75 }),
      ]);
    });

    it("rotates gracefully (202, pending), refuses a second rotation in progress (409), and audits and publishes", async () => {
      const { call, keyrings, audit, events } = await opsFixture();
      const first = await call("POST", "/v1/keys/rotate", { mode: "graceful", reason });
      expect(first).toMatchObject({
        status: 202,
        body: { mode: "graceful", activatesAt: expect.any(String) },
      });
      expect((await keyrings.load())!.keys.map((k) => k.status)).toEqual(["current", "pending"]);
      expect(await call("POST", "/v1/keys/rotate", { reason })).toMatchObject({
        status: 409,
        body: { error: { code: "rotation_in_progress" } },
      });
      const journal = (await audit.read()).entries;
      expect(journal.map((e) => [e.action, e.result, e.actor])).toEqual([
        ["rotate.graceful", "refused", "admin-op"],
        ["rotate.graceful", "ok", "admin-op"],
      ]);
      // The refusal names no key: none was created.
      const kids = (await keyrings.load())!.keys.map((k) => k.kid);
      expect(journal[0]?.target === undefined || kids.includes(journal[0].target)).toBe(true);
      expect(events.published.map((e) => e.type)).toEqual(["KeyCreated"]);
    });

    it("takes one of 10 concurrent emergency rotations and answers the other nine 409 naming the key it made", async () => {
      const { call, keyrings, memory, clock } = await opsFixture();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          call("POST", "/v1/keys/rotate", { mode: "immediate", reason }),
        ),
      );
      const won = answers.filter((a) => a.status === 200);
      expect(won).toHaveLength(1);
      const kid = won[0]?.body.kid as string;
      const lost = answers.filter((a) => a.status !== 200);
      expect(lost).toHaveLength(9);
      for (const answer of lost)
        expect(answer).toMatchObject({
          status: 409,
          body: { error: { code: "emergency_in_progress", message: expect.stringContaining(kid) } },
        });
      const keyring = (await keyrings.load())!;
      expect(keyring.keys.filter((k) => !k.compromised).map((k) => k.kid)).toEqual([kid]);
      // The winner's key signs, and no rule refuses its logins.
      expect((await memory.check({ kid, issuedAtMs: clock.now() + 1, claims: {} })).revoked).toBe(
        false,
      );
      // Past the window, a second emergency is taken.
      clock.t += 61_000;
      expect(await call("POST", "/v1/keys/rotate", { mode: "immediate", reason })).toMatchObject({
        status: 200,
      });
    });

    it("rotates immediately: new current key, others compromised, earlier tokens revoked at once", async () => {
      const { call, keyrings, keyring, clock, events } = await opsFixture();
      const token = await createSigner().sign(keyring!, { sub: "alice" }, clock.t);
      clock.t += 1000;
      const answer = await call("POST", "/v1/keys/rotate", { mode: "immediate", reason });
      expect(answer).toMatchObject({ status: 200, body: { mode: "immediate" } });
      expect(events.published).toEqual([
        expect.objectContaining({
          type: "EmergencyRotation",
          detail: expect.objectContaining({ compromised: [keyring!.keys[0]!.kid] }),
        }),
      ]);
      const stored = (await keyrings.load())!;
      expect(stored.keys.map((k) => [k.status, k.compromised])).toEqual([
        ["retired", true],
        ["current", false],
      ]);
      expect(await call("GET", `/v1/revocations/check?sub=alice`)).toMatchObject({
        body: { revoked: true, rule: "all" },
      });
      // The key rule: verifiers that still cache the old key as current refuse its tokens too.
      expect(await call("GET", `/v1/revocations/check?kid=${keyring!.keys[0]!.kid}`)).toMatchObject(
        { body: { revoked: true, rule: "kid" } },
      );
      expect(await call("GET", `/v1/revocations/check?kid=${stored.keys[1]!.kid}`)).toMatchObject({
        body: { revoked: false },
      });
      expect(await call("GET", `/v1/revocations/check?token=${token}`)).toMatchObject({
        status: 200,
        body: { revoked: false, message: expect.stringContaining("no longer verifies") },
      });
    });

    it("rolls back to the previous key, and refuses when there is none", async () => {
      const { call, keyrings, clock } = await opsFixture();
      expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
        status: 409,
        body: { error: { code: "no_previous_key" } },
      });
      await call("POST", "/v1/keys/rotate", { reason });
      clock.t += 3 * MINUTE;
      const { applyPlan, resolvePolicy } = await import("../../../../shared/keyring/policy.ts");
      const { seededRandom } = await import("../../../support/deterministic.ts");
      const activated = await applyPlan(
        (await keyrings.load())!,
        clock.t,
        undefined,
        resolvePolicy(),
        seededRandom("x"),
      );
      await keyrings.save(activated.keyring);
      const before = activated.keyring.keys.find((k) => k.status === "previous")!.kid;
      expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
        status: 200,
        body: { current: before },
      });
    });

    it("imports a legacy secret (201) given its tokens' lifetime, and refuses a second one (409)", async () => {
      const { call } = await opsFixture();
      const secret = "legacy-secret-that-is-long-enough-1234";
      expect(await call("POST", "/v1/keys/import", { secret, reason })).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining("tokenLifetimeSeconds") } },
      });
      expect(
        await call("POST", "/v1/keys/import", { secret, reason, tokenLifetimeSeconds: 3600 }),
      ).toMatchObject({ status: 201, body: { status: "current", verifyOnly: false } });
      expect(
        await call("POST", "/v1/keys/import", {
          secret: "another-legacy-secret-long-enough-1234",
          reason,
          tokenLifetimeSeconds: 3600,
        }),
      ).toMatchObject({ status: 409, body: { error: { code: "legacy_key_exists" } } });
    });

    it("reads the legacy lifetime from a sample token signed with the secret, and refuses one too long for the policy", async () => {
      const secret = "legacy-secret-that-is-long-enough-1234";
      const now = Math.floor((T0 + 1000) / 1000);
      const sample = async (lifetime: number, key = secret) =>
        new SignJWT({ sub: "u", iat: now, exp: now + lifetime })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(key));
      const { call } = await opsFixture();
      expect(
        await call("POST", "/v1/keys/import", {
          secret,
          reason,
          sampleToken: await sample(3600, "some other secret"),
        }),
      ).toMatchObject({ status: 422, body: { error: { code: "sample_invalid" } } });
      expect(
        await call("POST", "/v1/keys/import", {
          secret,
          reason,
          sampleToken: await sample(7 * 86_400),
        }),
      ).toMatchObject({
        status: 422,
        body: {
          error: {
            code: "lifetime_too_long",
            message: expect.stringContaining(
              "KEYWARD_MAX_TOKEN_LIFETIME_SECONDS to at least 604800",
            ),
          },
        },
      });
      expect(
        await call("POST", "/v1/keys/import", { secret, reason, sampleToken: await sample(900) }),
      ).toMatchObject({ status: 201, body: { tokenLifetimeSeconds: 900 } });
    });

    it("imports a short secret verify-only: its tokens keep working, a generated key signs, rollback never picks it", async () => {
      const { call, keyrings, deps } = await opsFixture({ keyring: null });
      const answer = await call("POST", "/v1/keys/import", {
        secret: "short",
        reason,
        tokenLifetimeSeconds: 3600,
      });
      expect(answer).toMatchObject({
        status: 201,
        body: {
          status: "previous",
          verifyOnly: true,
          warning: expect.stringContaining("never signs"),
        },
      });
      const keyring = (await keyrings.load())!;
      const current = keyring.keys.find((k) => k.status === "current")!;
      expect(current).toMatchObject({ legacy: false });
      expect(keyring.keys.find((k) => k.kid === answer.body.kid)).toMatchObject({
        status: "previous",
        verifyOnly: true,
        legacy: true,
      });
      const now = Math.floor(deps.clock.now() / 1000);
      const legacyToken = await new SignJWT({ sub: "u", exp: now + 600 })
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode("short"));
      expect(await createVerifier().verify(legacyToken, keyring, deps.clock.now())).toMatchObject({
        ok: true,
        legacy: true,
        keyStatus: "previous",
      });
      expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
        status: 409,
        body: { error: { code: "no_previous_key" } },
      });
    });

    it("reinstates a retired key as previous (KeyReinstated), never a compromised or unknown one", async () => {
      const start = await newKeyring("ES256", T0);
      const published = await withPending(start, "ES256", T0, seededRandom("reinstate"));
      const rotated = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 1));
      const oldKid = start.keys[0]!.kid;
      const retired = expectOk(retireKey(rotated, oldKid, T0 + 2));
      const { call, events, audit } = await opsFixture({ keyring: retired });
      expect(
        await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason }, "responder"),
      ).toMatchObject({ status: 403 });
      expect(await call("POST", "/v1/keys/not%20a%20kid/reinstate", { reason })).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_request" } },
      });
      expect(await call("POST", "/v1/keys/unknown-kid/reinstate", { reason })).toMatchObject({
        status: 404,
        body: { error: { code: "key_not_found" } },
      });
      expect(await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason })).toMatchObject({
        status: 200,
        body: { kid: oldKid, status: "previous" },
      });
      expect(events.published.at(-1)).toMatchObject({
        type: "KeyReinstated",
        detail: { kid: oldKid, reason, actor: "admin-op" },
      });
      expect((await audit.read()).entries[0]).toMatchObject({
        action: "reinstate",
        target: oldKid,
        result: "ok",
      });
      await call("POST", "/v1/keys/rotate", { mode: "immediate", reason });
      expect(await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason })).toMatchObject({
        status: 409,
        body: { error: { code: "key_compromised" } },
      });
    });

    it("journals each rotation with its trigger, keys, phases, self-test and refusals", async () => {
      const usage = new MemoryUsageStore();
      const { call, keyring, clock } = await opsFixture({ usage });
      const oldKid = keyring!.keys[0]!.kid;
      expect(await call("GET", "/v1/journal?since=yesterday", undefined, "viewer")).toMatchObject({
        status: 400,
        body: { error: { code: "invalid_request" } },
      });
      const rotated = await call("POST", "/v1/keys/rotate", {
        mode: "immediate",
        reason: "key leaked",
      });
      await usage.add(usageCounts({}, { [oldKid]: 7 }), clock.t);
      const answer = await call("GET", "/v1/journal?since=2026-01-01", undefined, "viewer");
      expect(answer).toMatchObject({
        status: 200,
        body: {
          since: "2026-01-01T00:00:00.000Z",
          rotations: [
            {
              trigger: "emergency",
              actor: "admin-op",
              reason: "key leaked",
              oldKid,
              newKid: rotated.body.kid,
              compromised: [oldKid],
              selfTest: "passed",
              refusedVerifications: 7,
            },
          ],
        },
      });
      const later = await call("GET", "/v1/journal?since=2026-02-01", undefined, "viewer");
      expect(later.body.rotations).toEqual([]);
    });

    it("plans the policy's transitions with dates", async () => {
      const { call } = await opsFixture();
      const answer = await call("GET", "/v1/plan?days=200");
      expect((answer.body.transitions as { action: string }[]).map((t) => t.action)).toEqual([
        "publish",
        "activate",
        "retire",
        "destroy",
        "publish",
        "activate",
      ]);
    });
  });

  describe("revocations", () => {
    it("revokes by sub, claim, all and jti (201), each audited and published", async () => {
      const { call, audit, events } = await opsFixture();
      for (const item of [
        { sub: "alice" },
        { claim: "role", value: "admin" },
        { all: true },
        { jti: "j-1", exp: Math.floor(T0 / 1000) + 3600 },
      ]) {
        expect(await call("POST", "/v1/revocations", { ...item, reason })).toMatchObject({
          status: 201,
          body: { revoked: true },
        });
      }
      expect((await audit.read()).entries.map((e) => e.target)).toEqual([
        "jti:j-1",
        "all",
        "claim:role=admin",
        "sub:alice",
      ]);
      expect(events.published.map((e) => e.type)).toEqual([
        "TokensRevoked",
        "TokensRevoked",
        "TokensRevoked",
        "TokensRevoked",
      ]);
    });

    it("revokes a token only if this keyring signed it (422 otherwise); an expired one is a no-op", async () => {
      const { call, keyring, clock, audit } = await opsFixture();
      const token = await createSigner().sign(keyring!, { sub: "alice" }, clock.t);
      const answer = await call("POST", "/v1/revocations", { token, reason });
      expect(answer).toMatchObject({ status: 201, body: { revoked: true, rule: "token" } });
      expect(await call("GET", `/v1/revocations/check?token=${token}`)).toMatchObject({
        body: { revoked: true, rule: "token" },
      });
      const { privateKey } = await generateKeyPair("ES256");
      const foreign = await new SignJWT({ sub: "x", jti: "j", iat: 1, exp: 2_000_000_000 })
        .setProtectedHeader({ alg: "ES256", kid: keyring!.keys[0]!.kid })
        .sign(privateKey);
      expect(await call("POST", "/v1/revocations", { token: foreign, reason })).toMatchObject({
        status: 422,
        body: { error: { code: "not_revocable" } },
      });
      expect(await call("POST", "/v1/revocations", { token: "garbage", reason })).toMatchObject({
        status: 422,
      });
      clock.t += 2 * 3600 * 1000;
      expect(await call("POST", "/v1/revocations", { token, reason })).toMatchObject({
        status: 200,
        body: { revoked: false, noop: true },
      });
      expect(JSON.stringify((await audit.read()).entries)).not.toContain(token.split(".")[2]);
    });

    it("refuses a jti whose exp lies beyond the maximum lifetime (400, nothing stored), and answers an expired one 200 no-op", async () => {
      const { call, memory, clock } = await opsFixture();
      const now = Math.floor(clock.now() / 1000);
      const far = await call("POST", "/v1/revocations", { jti: "j", exp: 1e21, reason });
      expect(far).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining("maximum token lifetime") } },
      });
      expect((await memory.check({ jti: "j", claims: {} })).revoked).toBe(false);
      expect(
        await call("POST", "/v1/revocations", { jti: "old", exp: now - 60, reason }),
      ).toMatchObject({ status: 200, body: { revoked: true, noop: true } });
    });

    it("takes a batch of 10,000 with a result per item, reporting bad items without failing the rest", async () => {
      const { call } = await opsFixture();
      const items = Array.from({ length: 10_000 }, (_, i) =>
        i === 7 ? { sub: "" } : i === 9 ? { token: "nope" } : { sub: `user-${i}` },
      );
      const answer = await call("POST", "/v1/revocations/batch", { items, reason });
      expect(answer.status).toBe(207);
      expect(answer.body).toMatchObject({ items: 10_000, revoked: 9_998, failed: 2 });
      const results = answer.body.results as { index: number; ok: boolean; error?: string }[];
      expect(results).toHaveLength(10_000);
      expect(results[7]).toMatchObject({
        index: 7,
        ok: false,
        error: expect.stringContaining("items[7].sub"),
      });
      expect(results[9]).toMatchObject({ index: 9, ok: false });
      expect(await call("GET", "/v1/revocations/check?sub=user-9999")).toMatchObject({
        body: { revoked: true, rule: "subject" },
      });
      expect(
        await call("POST", "/v1/revocations/batch", {
          items: Array.from({ length: 10_001 }, () => ({ all: true })),
          reason,
        }),
      ).toMatchObject({ status: 413 });
    });

    it("answers 503 when the revocation store is down", async () => {
      // Fault injected: the in-memory store cannot fail by itself.
      const down: RevocationStore = {
        revoke: async (targets) => targets.map(() => ({ ok: false, error: "down" })),
        check: async () => {
          throw new StoreUnavailable("down");
        },
      };
      const { call } = await opsFixture({ revocations: down });
      expect(await call("POST", "/v1/revocations", { sub: "a", reason })).toMatchObject({
        status: 503,
        body: { error: { code: "store_unavailable" } },
      });
      expect(await call("GET", "/v1/revocations/check?sub=a")).toMatchObject({
        status: 503,
        body: { error: { code: "store_unavailable" } },
      });
      expect(await call("POST", "/v1/keys/rotate", { mode: "immediate", reason })).toMatchObject({
        status: 503,
      });
    });

    it("revokes a key that no longer signs (kid rule), never one that signs or will sign", async () => {
      const first = await newKeyring("ES256", T0);
      const withNext = await withPending(first, "ES256", T0, seededRandom("next"));
      const next = withNext.keys[1]!.kid;
      const old = first.keys[0]!.kid;
      const pendingFixture = await opsFixture({ keyring: withNext });
      for (const kid of [old, next]) {
        expect(
          await pendingFixture.call("POST", "/v1/revocations", { kid, reason }, "responder"),
        ).toMatchObject({ status: 422, body: { error: { code: "not_revocable" } } });
      }
      const { call, memory } = await opsFixture({
        keyring: expectOk(activateKey(withNext, next, T0 + 10 * MINUTE)),
      });
      expect(await call("POST", "/v1/revocations", { kid: "no-such-kid", reason })).toMatchObject({
        status: 422,
      });
      expect(await call("POST", "/v1/revocations", { kid: "bad kid!", reason })).toMatchObject({
        status: 400,
      });
      expect(
        await call("POST", "/v1/revocations", { kid: old, reason }, "responder"),
      ).toMatchObject({ status: 201, body: { revoked: true, rule: "kid" } });
      expect(await memory.check({ kid: old, claims: {} })).toMatchObject({ rule: "kid" });
      expect(await call("GET", `/v1/revocations/check?kid=${old}`)).toMatchObject({
        body: { revoked: true, rule: "kid" },
      });
      const batch = await call("POST", "/v1/revocations/batch", {
        items: [{ kid: old }, { kid: next }],
        reason,
      });
      expect(batch).toMatchObject({ status: 207, body: { revoked: 1, failed: 1 } });
    });

    it("checks by jti and says by which rule", async () => {
      const { call } = await opsFixture();
      expect(await call("GET", "/v1/revocations/check?jti=j-2")).toMatchObject({
        body: { revoked: false },
      });
      await call("POST", "/v1/revocations", {
        jti: "j-2",
        exp: Math.floor(T0 / 1000) + 3600,
        reason,
      });
      expect(await call("GET", "/v1/revocations/check?jti=j-2")).toMatchObject({
        body: { revoked: true, rule: "token" },
      });
      expect(await call("GET", "/v1/revocations/check?jti=j-2&sub=a")).toMatchObject({
        status: 400,
      });
    });

    it("says a subject is revoked as long as its cut-off is kept, not only in the second after", async () => {
      const { call, clock } = await opsFixture();
      expect(await call("GET", "/v1/revocations/check?sub=alice")).toMatchObject({
        body: { revoked: false },
      });
      await call("POST", "/v1/revocations", { sub: "alice", reason });
      const since = new Date(Math.floor(clock.t / 1000) * 1000).toISOString();
      clock.t += 60 * MINUTE;
      expect(await call("GET", "/v1/revocations/check?sub=alice")).toMatchObject({
        body: { revoked: true, rule: "subject", since },
      });
    });
  });

  it("pages the audit journal, newest first", async () => {
    const { call } = await opsFixture();
    for (const sub of ["a", "b", "c"]) await call("POST", "/v1/revocations", { sub, reason });
    const first = await call("GET", "/v1/audit?limit=2");
    expect((first.body.entries as { target: string }[]).map((e) => e.target)).toEqual([
      "sub:c",
      "sub:b",
    ]);
    const second = await call("GET", `/v1/audit?limit=2&before=${first.body.next}`);
    expect((second.body.entries as { target: string }[]).map((e) => e.target)).toEqual(["sub:a"]);
  });
});
