import { describe, expect, inject, it } from "vitest";
import { newKeyring } from "../../support/keyrings.ts";
import { opsOnRealStores } from "../../support/ops.ts";
import { freePort } from "../../support/processes.ts";

describe("the ops API when a store is down (real stores; the outage is a stopped port or a delay at a proxy)", () => {
  it("answers 503 store_unavailable with Retry-After when Secrets Manager cannot be reached, and still revokes by subject", async () => {
    const { redisUrl } = inject("services");
    const { call, stop } = await opsOnRealStores(`http://127.0.0.1:${await freePort()}`, redisUrl);
    try {
      for (const [method, path, body] of [
        ["GET", "/v1/keys"],
        ["POST", "/v1/keys/rotate", { reason: "scheduled" }],
      ] as const) {
        const answer = await call(method, path, body);
        expect({ path, status: answer.status, body: answer.body }).toMatchObject({
          path,
          status: 503,
          body: { error: { code: "store_unavailable" } },
        });
        expect(answer.headers.get("retry-after")).toBe("5");
      }
      // Revoking needs only Upstash; not knowing about a legacy key, the cut-off is kept.
      expect(await call("POST", "/v1/revocations", { sub: "mallory", reason: "r" })).toMatchObject({
        status: 201,
        body: { revoked: true, rule: "subject" },
      });
    } finally {
      await stop();
    }
  });

  it("answers a revocation with 503 within its 2 s write budget when Upstash hangs", async () => {
    const { motoUrl, redisUrl } = inject("services");
    const { call, keyrings, proxy, stop } = await opsOnRealStores(motoUrl, redisUrl);
    await keyrings.save(await newKeyring("HS256", Date.now()));
    expect(await call("POST", "/v1/revocations", { sub: "alice", reason: "r" })).toMatchObject({
      status: 201,
    });
    proxy.setFault({ kind: "delay", ms: 15_000 });
    const started = performance.now();
    const answer = await call("POST", "/v1/revocations", { sub: "bob", reason: "r" });
    const tookMs = performance.now() - started;
    await stop();
    expect(answer).toMatchObject({ status: 503, body: { error: { code: "store_unavailable" } } });
    expect(answer.headers.get("retry-after")).toBe("5");
    // Generous against a loaded machine; before the budget it took about 12 s.
    expect(tookMs).toBeLessThan(4_000);
  });
});
