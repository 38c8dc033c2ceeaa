import { randomUUID } from "node:crypto";
import {
  lookupFor,
  type RevocationTarget,
  type TokenFacts,
} from "../../shared/revocation/rules.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { type Figure, figure, median, percentile } from "./harness.ts";
import { bareUpstash, benchServices } from "./services.ts";

const SAMPLES = 2_000;
const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

/**
 * Revocation check latency through the Upstash adapter against the local REST server, beside a
 * bare `@upstash/redis` MGET of the same keys, alternating call by call; and the time to revoke
 * 10,000 tokens in one batch, beside a bare pipeline of the same number of SETs.
 */
export async function revocationBenchmarks(): Promise<Figure[]> {
  const { upstashUrl: url, upstashToken: token } = await benchServices();
  const prefix = `bench${randomUUID()}:`;
  const store = new UpstashRevocationStore({ url, token, timing, prefix, budgetMs: 1_000 });
  const bare = bareUpstash(url, token);
  const facts: TokenFacts = {
    iss: "https://id.example",
    jti: randomUUID(),
    sub: "alice",
    issuedAtMs: Date.now(),
    claims: { role: ["reader", "admin"], tenant: "t1" },
  };
  const keys = lookupFor(prefix, facts).keys;
  await store.revoke(
    [
      { kind: "subject", sub: "bob" },
      { kind: "claim", name: "tenant", value: "t2" },
    ],
    Date.now(),
  );

  const adapter: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) {
    await store.check(facts);
    await bare.mget(...keys);
  }
  for (let i = 0; i < SAMPLES; i++) {
    const first = i % 2 === 0;
    for (const which of first ? ["adapter", "bare"] : ["bare", "adapter"]) {
      const start = performance.now();
      if (which === "adapter") await store.check(facts);
      else await bare.mget(...keys);
      (which === "adapter" ? adapter : baseline).push(performance.now() - start);
    }
  }

  const targets: RevocationTarget[] = Array.from({ length: 10_000 }, (_, i) => ({
    kind: "token",
    iss: "https://id.example",
    jti: `bench-${i}-${randomUUID()}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  }));
  const batchRuns: number[] = [];
  const bareRuns: number[] = [];
  for (let run = 0; run < 3; run++) {
    let start = performance.now();
    const results = await store.revoke(targets, Date.now());
    batchRuns.push(performance.now() - start);
    if (!results.every((r) => r.ok)) throw new Error("batch revocation failed");
    start = performance.now();
    for (let i = 0; i < targets.length; i += 1000) {
      const pipeline = bare.pipeline();
      for (const target of targets.slice(i, i + 1000)) {
        pipeline.set(`${prefix}bare:${(target as { jti: string }).jti}`, "1", { ex: 3600 });
      }
      await pipeline.exec();
    }
    bareRuns.push(performance.now() - start);
  }

  return [
    figure(
      "revocation.check.p50",
      median(adapter),
      "ms",
      "bare @upstash/redis mget p50",
      median(baseline),
      "ratio <= 1.1",
    ),
    figure(
      "revocation.check.p99",
      percentile(adapter, 99),
      "ms",
      "bare @upstash/redis mget p99",
      percentile(baseline, 99),
      "reported",
    ),
    figure(
      "revocation.batch_10000",
      median(batchRuns),
      "ms",
      "bare pipelined SET x 10,000",
      median(bareRuns),
      "< 2000 ms",
    ),
  ];
}
