import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { guardRevocations } from "../../../../shared/revocation/guard.ts";
import {
  evaluate,
  lookupFor,
  type RevocationTarget,
  type TokenFacts,
} from "../../../../shared/revocation/rules.ts";
import { StoreUnavailable } from "../../../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { type CountingProxy, startProxy } from "../../../support/http-proxy.ts";
import { startUpstashRest } from "../../../support/services.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
const BUDGET = 100;
let proxy: CountingProxy;

beforeAll(async () => {
  proxy = await startProxy(inject("services").upstashUrl);
});
afterAll(() => proxy.stop());

function storeVia(url: string, options: { batchSize?: number } = {}) {
  const { upstashToken } = inject("services");
  return new UpstashRevocationStore({
    url,
    token: upstashToken,
    timing,
    budgetMs: BUDGET,
    prefix: `u${randomUUID()}:`,
    ...options,
  });
}

const nowS = () => Math.floor(Date.now() / 1000);
const manyClaims: TokenFacts = {
  iss: "https://id.example",
  jti: randomUUID(),
  sub: "alice",
  kid: "k1",
  issuedAtMs: Date.now() - 60_000,
  claims: {
    role: ["reader", "writer", "admin"],
    tenant: "t1",
    plan: "pro",
    region: "eu",
    scope: "a b c",
  },
};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T | Error; ms: number }> {
  const start = performance.now();
  const value = await work().catch((error: Error) => error);
  return { value, ms: performance.now() - start };
}

describe("UpstashRevocationStore", () => {
  it("reads a cut-off stored in whole seconds (before millisecond cut-offs) with its old meaning", async () => {
    const { upstashUrl, upstashToken } = inject("services");
    const prefix = `s${randomUUID()}:`;
    const store = new UpstashRevocationStore({
      url: upstashUrl,
      token: upstashToken,
      timing,
      prefix,
    });
    const redis = new Redis({ url: upstashUrl, token: upstashToken, responseEncoding: false });
    // The old rule: tokens with iat at or before the stored second are refused.
    const second = nowS() - 10;
    await redis.set(`${prefix}rv:s:dana`, String(second), { ex: 600 });
    const at = (ms: number): TokenFacts => ({ sub: "dana", issuedAtMs: ms, claims: {} });
    expect(await store.check(at(second * 1000 + 999))).toMatchObject({
      revoked: true,
      sinceMs: second * 1000 + 999,
    });
    expect(await store.check(at((second + 1) * 1000))).toEqual({ revoked: false });
    // A new revocation in the same second moves the cut-off on; one that is older does not.
    await store.revoke([{ kind: "subject", sub: "dana" }], second * 1000 + 500);
    expect(await store.check(at(second * 1000 + 999))).toMatchObject({ revoked: true });
    await store.revoke([{ kind: "subject", sub: "dana" }], (second + 2) * 1000 + 7);
    expect(Number(await redis.get(`${prefix}rv:s:dana`))).toBe((second + 2) * 1000 + 7);
  });

  it("costs one HTTP request per check, however many rules apply", async () => {
    const store = storeVia(proxy.url);
    await store.revoke(
      [
        { kind: "subject", sub: "bob" },
        { kind: "claim", name: "tenant", value: "t9" },
        { kind: "claim", name: "plan", value: "free" },
        { kind: "token", iss: "https://id.example", jti: randomUUID(), exp: nowS() + 60 },
      ],
      Date.now(),
    );
    proxy.reset();
    expect(await store.check(manyClaims)).toEqual({ revoked: false });
    expect(proxy.requests()).toBe(1);
    await store.revoke([{ kind: "claim", name: "region", value: "eu" }], Date.now());
    proxy.reset();
    expect(await store.check(manyClaims)).toMatchObject({ revoked: true, rule: "claim" });
    expect(proxy.requests()).toBe(1);
  });

  it("writes 10,000 revocations in at most 10 pipelined requests, with a result for each", async () => {
    const store = storeVia(proxy.url);
    const targets: RevocationTarget[] = Array.from({ length: 10_000 }, (_, i) => ({
      kind: "token",
      iss: "https://id.example",
      jti: `batch-${i}`,
      exp: nowS() + 3600,
    }));
    proxy.reset();
    const results = await store.revoke(targets, Date.now());
    expect(proxy.requests()).toBeLessThanOrEqual(10);
    expect(results).toHaveLength(10_000);
    expect(results.every((r) => r.ok && !r.noop)).toBe(true);
    for (const i of [0, 4_999, 9_999]) {
      const facts: TokenFacts = { iss: "https://id.example", jti: `batch-${i}`, claims: {} };
      expect(await store.check(facts)).toMatchObject({ revoked: true, rule: "token" });
    }
  });

  it("reports each item of a batch the server could not take", async () => {
    const store = storeVia(proxy.url, { batchSize: 2 });
    proxy.setFault({ kind: "error", status: 500 }); // injected: a healthy server never fails like this
    try {
      const results = await store.revoke(
        [{ kind: "all" }, { kind: "subject", sub: "x" }, { kind: "subject", sub: "y" }],
        Date.now(),
      );
      expect(results).toHaveLength(3);
      expect(results.every((r) => !r.ok && /revocation store unavailable/.test(r.error))).toBe(
        true,
      );
    } finally {
      proxy.setFault({ kind: "none" });
    }
  });

  // Each answers within its budget, so never waits for the store: checked against the seconds
  // the store would take, not the budget's own milliseconds, which a busy machine can stretch.
  describe("within its time budget", () => {
    it("answers store_unavailable when the server is stopped, and the guard applies the failure mode", async () => {
      const { redisUrl } = inject("services");
      const doomed = await startUpstashRest(redisUrl);
      const store = new UpstashRevocationStore({
        url: doomed.url,
        token: doomed.token,
        timing,
        budgetMs: BUDGET,
      });
      expect(await store.check(manyClaims)).toEqual({ revoked: false });
      await doomed.process.stop();
      const { value, ms } = await timed(() => store.check(manyClaims));
      expect(value).toBeInstanceOf(StoreUnavailable);
      expect(ms).toBeLessThan(5_000);
      expect(await guardRevocations(store).call(null, manyClaims)).toEqual({
        allowed: false,
        status: "store_unavailable",
      });
      expect(await guardRevocations(store, "open").call(null, manyClaims)).toEqual({
        allowed: true,
        status: "store_unavailable",
      });
    });

    it("gives up on a slow server after the budget (slowness injected by a delaying proxy)", async () => {
      const store = storeVia(proxy.url);
      proxy.setFault({ kind: "delay", ms: 10_000 });
      try {
        const { value, ms } = await timed(() => store.check(manyClaims));
        expect(value).toBeInstanceOf(StoreUnavailable);
        expect(ms).toBeLessThan(5_000);
      } finally {
        proxy.setFault({ kind: "none" });
      }
    });

    it("answers store_unavailable on server errors (injected), without retrying past the budget", async () => {
      const store = storeVia(proxy.url);
      proxy.setFault({ kind: "error", status: 500 });
      try {
        proxy.reset();
        const { value, ms } = await timed(() => store.check(manyClaims));
        expect(value).toBeInstanceOf(StoreUnavailable);
        expect(ms).toBeLessThan(5_000);
        expect(proxy.requests()).toBe(1);
      } finally {
        proxy.setFault({ kind: "none" });
      }
    });

    it("is not caught by @upstash/redis's fired-static-signal trap: answers after a timeout stay true", async () => {
      const { upstashToken } = inject("services");
      const store = storeVia(proxy.url);
      await store.revoke([{ kind: "subject", sub: "alice" }], Date.now());

      // The trap: a client whose static signal has fired answers every later call with a made-up
      // value instead of an error, which a careless reader evaluates as "not revoked".
      const fired = AbortSignal.timeout(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const trapped = new Redis({
        url: proxy.url,
        token: upstashToken,
        responseEncoding: false,
        signal: fired,
        enableTelemetry: false,
        enableAutoPipelining: false,
      });
      const lookup = lookupFor("kw:", manyClaims);
      const fake = await trapped.mget(...lookup.keys);
      expect(Array.isArray(fake)).toBe(false);
      expect(evaluate(lookup, fake as unknown as unknown[], manyClaims)).toEqual({
        revoked: false,
      });

      // The adapter: a timeout is store_unavailable, and the next answers are true again.
      proxy.setFault({ kind: "delay", ms: 1_000 });
      await expect(store.check(manyClaims)).rejects.toThrow(StoreUnavailable);
      proxy.setFault({ kind: "none" });
      expect(await store.check(manyClaims)).toMatchObject({ revoked: true, rule: "subject" });
      expect(await store.check({ ...manyClaims, sub: "zoe" })).toEqual({ revoked: false });
      expect(await store.check(manyClaims)).toMatchObject({ revoked: true, rule: "subject" });
    });
  });
});
