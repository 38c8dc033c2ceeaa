import { describe, expect, it } from "vitest";
import { createJwksApp } from "../../../../functions/jwks/app.ts";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import {
  type JwksConsumer,
  MemoryJwksConsumers,
} from "../../../../shared/receipts/jwks-consumer.ts";
import { T0 } from "../../../support/deterministic.ts";

const KEYS = [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k1", status: "current" }];

function jwks(log: { record(consumer: JwksConsumer): Promise<void> }) {
  const clock = { t: T0, now: () => clock.t };
  const app = createJwksApp({
    keys: async () => KEYS,
    maxAgeSeconds: 50,
    consumers: { log, addressOf: () => "203.0.113.9", clock },
  });
  const fetchAs = (agent: string) =>
    app.request("/.well-known/jwks.json", { headers: { "user-agent": agent } });
  return { clock, fetchAs };
}

describe("the JWKS app's consumers", () => {
  it("records who fetched the keys, at most once a minute each", async () => {
    const log = new MemoryJwksConsumers();
    const { clock, fetchAs } = jwks(log);
    expect((await fetchAs("PyJWT/2.8")).status).toBe(200);
    clock.t += 30_000;
    await fetchAs("PyJWT/2.8");
    await fetchAs("jose/5");
    expect((await log.recent(clock.t)).map((c) => [c.agent, c.fetchedAt])).toEqual(
      expect.arrayContaining([
        ["PyJWT/2.8", T0],
        ["jose/5", T0 + 30_000],
      ]),
    );
    clock.t = T0 + MINUTE;
    await fetchAs("PyJWT/2.8");
    expect((await log.recent(clock.t)).find((c) => c.agent === "PyJWT/2.8")?.fetchedAt).toBe(
      T0 + MINUTE,
    );
  });

  it("serves the keys when the record fails (fault injected: Upstash refusing), and tries again at the next fetch", async () => {
    let calls = 0;
    const { fetchAs } = jwks({
      record: async () => {
        calls++;
        throw new Error("Upstash unreachable");
      },
    });
    const answer = await fetchAs("PyJWT/2.8");
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ keys: KEYS });
    await fetchAs("PyJWT/2.8");
    expect(calls).toBe(2);
  });

  it("does not wait for a record that hangs (fault injected): the keys come within the budget", async () => {
    const { fetchAs } = jwks({ record: () => new Promise(() => undefined) });
    const started = performance.now();
    expect((await fetchAs("PyJWT/2.8")).status).toBe(200);
    // The budget is 250 ms; a generous bound, not the subject.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
