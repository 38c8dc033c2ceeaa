import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { activateKey } from "../../../../shared/keyring/transitions.ts";
import { type RevocationStore, StoreUnavailable } from "../../../../shared/revocation/store.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { opsFixture } from "../../../support/ops.ts";

const reason = "incident 42";

describe("the ops API: revocations", () => {
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
    expect(await call("POST", "/v1/revocations", { kid: old, reason }, "responder")).toMatchObject({
      status: 201,
      body: { revoked: true, rule: "kid" },
    });
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

describe("the ops API: checking a revocation", () => {
  it("names the rule that refuses the most, and every rule that applies, after an earlier emergency's cut-off", async () => {
    const { call, clock } = await opsFixture();
    await call("POST", "/v1/revocations", { all: true, reason }, "responder");
    clock.t += 60_000;
    await call("POST", "/v1/revocations", { sub: "b", reason }, "responder");
    const checked = await call("GET", "/v1/revocations/check?sub=b", undefined, "viewer");
    const later = new Date(T0 + 1000 + 60_000).toISOString();
    const earlier = new Date(T0 + 1000).toISOString();
    expect(checked.body).toEqual({
      revoked: true,
      rule: "subject",
      since: later,
      rules: [
        { rule: "subject", since: later },
        { rule: "all", since: earlier },
      ],
    });
  });
});
