import { randomUUID } from "node:crypto";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { describe, expect, inject, it } from "vitest";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import type { RevocationTarget, TokenFacts } from "../../../../shared/revocation/rules.ts";
import type { RevocationStore } from "../../../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

interface Subject {
  readonly store: RevocationStore;
  /** Seconds until the rule's entry expires, read from where the adapter keeps it. */
  ttl(target: RevocationTarget): Promise<number | undefined>;
}

const adapters: [string, () => Subject][] = [
  [
    "memory",
    () => {
      const store = new MemoryRevocationStore(timing, { now: () => Date.now() });
      return { store, ttl: async (target) => store.ttlOf(target) };
    },
  ],
  [
    "Upstash (local REST server)",
    () => {
      const { upstashUrl, upstashToken } = inject("services");
      const store = new UpstashRevocationStore({
        url: upstashUrl,
        token: upstashToken,
        timing,
        prefix: `t${randomUUID()}:`,
      });
      return { store, ttl: (target) => store.ttlOf(target) };
    },
  ],
];

const nowS = () => Math.floor(Date.now() / 1000);
const facts = (
  overrides: Partial<TokenFacts> & { claims?: Record<string, unknown> } = {},
): TokenFacts => ({
  iss: "https://id.example",
  jti: randomUUID(),
  sub: "alice",
  issuedAtMs: Date.now() - 60_000,
  claims: {},
  ...overrides,
});

describe.each(adapters)("revocation store contract: %s", (_name, make) => {
  it("revokes one token by (iss, jti) and nothing else", async () => {
    const { store } = make();
    const token = facts();
    await store.revoke(
      [{ kind: "token", iss: token.iss!, jti: token.jti!, exp: nowS() + 600 }],
      Date.now(),
    );
    expect(await store.check(token)).toMatchObject({ revoked: true, rule: "token" });
    expect(await store.check({ ...token, iss: "https://other.example" })).toEqual({
      revoked: false,
    });
    expect(await store.check({ ...token, jti: randomUUID() })).toEqual({ revoked: false });
  });

  it("refuses a re-encoded copy of a revoked token: the rule is on its claims, not its bytes", async () => {
    const { store } = make();
    const { privateKey } = await generateKeyPair("ES256");
    const claims = {
      sub: "alice",
      jti: randomUUID(),
      iat: nowS(),
      exp: nowS() + 600,
      iss: "https://id.example",
    };
    const sign = () =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(privateKey);
    const [original, copy] = [await sign(), await sign()];
    expect(copy).not.toBe(original);
    const revoked = decodeJwt(original);
    await store.revoke(
      [{ kind: "token", iss: revoked.iss!, jti: revoked.jti!, exp: revoked.exp! }],
      Date.now(),
    );
    const other = decodeJwt(copy);
    expect(
      await store.check({
        iss: other.iss!,
        jti: other.jti!,
        sub: other.sub!,
        issuedAtMs: other.iat! * 1000,
        claims: other,
      }),
    ).toMatchObject({
      revoked: true,
      rule: "token",
    });
  });

  it("revokes a subject's tokens issued up to the cut-off's millisecond, not later ones", async () => {
    const { store } = make();
    const cutoff = Date.now();
    await store.revoke([{ kind: "subject", sub: "alice" }], cutoff);
    expect(await store.check(facts({ issuedAtMs: cutoff - 1 }))).toEqual({
      revoked: true,
      rule: "subject",
      sinceMs: cutoff,
      applying: [{ rule: "subject", sinceMs: cutoff }],
    });
    expect(await store.check(facts({ issuedAtMs: cutoff }))).toMatchObject({ revoked: true });
    expect(await store.check(facts({ issuedAtMs: cutoff + 1 }))).toEqual({ revoked: false });
    expect(await store.check(facts({ sub: "bob" }))).toEqual({ revoked: false });
  });

  it("refuses every token of a revoked key (kid rule), whenever it was issued", async () => {
    const { store, ttl } = make();
    const now = Date.now();
    await store.revoke([{ kind: "kid", kid: "leaked" }], now);
    expect(await store.check(facts({ kid: "leaked", issuedAtMs: now + 60_000 }))).toEqual({
      revoked: true,
      rule: "kid",
      sinceMs: now,
      applying: [{ rule: "kid", sinceMs: now }],
    });
    expect(await store.check(facts({ kid: "other" }))).toEqual({ revoked: false });
    // As long as a verifier can hold the key (cache TTL + stale bound) and a token of it can live.
    const left = await ttl({ kind: "kid", kid: "leaked" });
    expect(left).toBeGreaterThanOrEqual(86_400 + 10 + 960 - 1);
    expect(left).toBeLessThanOrEqual(86_400 + 10 + 960);
  });

  it("revokes tokens carrying a claim value, in a scalar or in an array", async () => {
    const { store } = make();
    await store.revoke([{ kind: "claim", name: "role", value: "admin" }], Date.now());
    expect(await store.check(facts({ claims: { role: "admin" } }))).toMatchObject({
      revoked: true,
      rule: "claim",
    });
    expect(await store.check(facts({ claims: { role: ["user", "admin"] } }))).toMatchObject({
      revoked: true,
      rule: "claim",
    });
    expect(await store.check(facts({ claims: { role: "user" } }))).toEqual({ revoked: false });
    expect(await store.check(facts({ claims: { group: "admin" } }))).toEqual({ revoked: false });
    expect(
      await store.check(facts({ claims: { role: "admin" }, issuedAtMs: Date.now() + 2 })),
    ).toEqual({
      revoked: false,
    });
  });

  it("revokes every token issued before an 'all' cut-off", async () => {
    const { store } = make();
    const cutoff = Date.now();
    await store.revoke([{ kind: "all" }], cutoff);
    expect(await store.check(facts())).toMatchObject({ revoked: true, rule: "all" });
    expect(await store.check(facts({ issuedAtMs: cutoff + 1 }))).toEqual({ revoked: false });
  });

  it("revokes legacy tokens (no jti, no iat) by subject, claim or all", async () => {
    for (const target of [
      { kind: "subject", sub: "legacy-user" },
      { kind: "claim", name: "tenant", value: "t1" },
      { kind: "all" },
    ] as const) {
      const { store } = make();
      const legacy: TokenFacts = { sub: "legacy-user", claims: { tenant: "t1" } };
      expect(await store.check(legacy)).toEqual({ revoked: false });
      await store.revoke([target], Date.now());
      expect(await store.check(legacy)).toMatchObject({ revoked: true, rule: target.kind });
    }
  });

  it("keeps the latest cut-off: an older revocation arriving late never moves it back", async () => {
    const { store } = make();
    const at = Date.now();
    await store.revoke([{ kind: "subject", sub: "alice" }], at);
    await store.revoke([{ kind: "subject", sub: "alice" }], at - 3_600_000);
    expect(await store.check(facts({ issuedAtMs: at - 10 }))).toMatchObject({
      revoked: true,
      rule: "subject",
    });
  });

  it("answers per item; revoking an expired token succeeds as a no-op", async () => {
    const { store, ttl } = make();
    const spent: RevocationTarget = { kind: "token", jti: randomUUID(), exp: nowS() - 60 };
    const live: RevocationTarget = { kind: "token", jti: randomUUID(), exp: nowS() + 600 };
    expect(await store.revoke([spent, live, { kind: "all" }], Date.now())).toMatchObject([
      { ok: true, noop: true },
      { ok: true, noop: false },
      { ok: true, noop: false },
    ]);
    expect([undefined, -2]).toContain(await ttl(spent));
  });

  it("lets entries expire by themselves: a token's at its exp, cut-offs after the maximum lifetime", async () => {
    const { store, ttl } = make();
    const exp = nowS() + 600;
    const token: RevocationTarget = { kind: "token", jti: randomUUID(), exp };
    await store.revoke([token, { kind: "subject", sub: "carol" }], Date.now());
    expect(await ttl(token)).toBeGreaterThanOrEqual(
      exp + timing.clockToleranceSeconds - nowS() - 1,
    );
    expect(await ttl(token)).toBeLessThanOrEqual(exp + timing.clockToleranceSeconds - nowS());
    const cutoffTtl = await ttl({ kind: "subject", sub: "carol" });
    expect(cutoffTtl).toBeGreaterThanOrEqual(86_400 + 10 - 1);
    expect(cutoffTtl).toBeLessThanOrEqual(86_400 + 10);
  });

  it("keeps cut-offs without expiry while a legacy key verifies, and a later write never shortens one", async () => {
    const { store, ttl } = make();
    const carol: RevocationTarget = { kind: "subject", sub: "carol" };
    await store.revoke([carol], Date.now(), { cutoffsUntil: "forever" });
    await store.revoke([carol], Date.now());
    const left = await ttl(carol);
    expect(left === -1 || left === Number.POSITIVE_INFINITY).toBe(true);
    const dave: RevocationTarget = { kind: "subject", sub: "dave" };
    await store.revoke([dave], Date.now(), { cutoffsUntil: nowS() + 200_000 });
    await store.revoke([dave], Date.now());
    expect(await ttl(dave)).toBeGreaterThanOrEqual(200_000 - 2);
  });
});
