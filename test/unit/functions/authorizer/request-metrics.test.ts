import { describe, expect, it } from "vitest";
import {
  RequestMetrics,
  SAMPLES_PER_LINE,
} from "../../../../functions/authorizer/request-metrics.ts";
import type { AuthResult } from "../../../../shared/verification/authenticate.ts";

const allowed: AuthResult = {
  ok: true,
  kid: "k1",
  claims: { sub: "alice", exp: 2_000_000_000 },
  keyStatus: "current",
  legacy: false,
  staleSigner: false,
  staleKeyring: false,
  revocationUnchecked: false,
  keyringAgeMs: 2000,
  revocationMs: 0,
};

/** A small deterministic generator in [0, 1), so which latencies a line keeps is repeatable. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const metrics = new RequestMetrics((line) => lines.push(JSON.parse(line)), 1000, seeded(7));
  return { lines, metrics };
}

describe("RequestMetrics", () => {
  it("keeps every latency of a line that holds up to 100 requests", () => {
    const { lines, metrics } = recorder();
    metrics.record(allowed, 0.5, 0);
    for (let i = 1; i < SAMPLES_PER_LINE; i++) metrics.record(allowed, i, 10);
    metrics.record(allowed, 1, 1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ Requests: SAMPLES_PER_LINE });
    expect(lines[1]?.Latency).toEqual(Array.from({ length: 99 }, (_, i) => i + 1).concat(1));
  });

  it("writes a busy second as one line: every request counted, 100 latencies sampled evenly across it", () => {
    const { lines, metrics } = recorder();
    metrics.record(allowed, 0, 0);
    // 10,000 requests in the second, the nth taking n/100 ms: a uniform sample's median is near 50.
    for (let i = 1; i <= 10_000; i++) metrics.record(allowed, i / 100, 500);
    expect(lines).toHaveLength(1);
    metrics.flush(1000);
    const line = lines[1] as { Requests: number; Latency: number[]; RevocationLatency: number[] };
    expect(line.Requests).toBe(10_000);
    expect(line.Latency).toHaveLength(SAMPLES_PER_LINE);
    expect(line.RevocationLatency).toHaveLength(SAMPLES_PER_LINE);
    const sorted = [...line.Latency].sort((a, b) => a - b);
    expect(sorted[50]).toBeGreaterThan(35);
    expect(sorted[50]).toBeLessThan(65);
    // Drawn from the whole second, not its first hundred requests.
    expect(sorted[99]).toBeGreaterThan(90);
  });

  it("times every request at low traffic, and about 200 a second, each with the same chance, at high traffic", () => {
    const { metrics } = recorder();
    const second = (start: number, requests: number) => {
      let timed = 0;
      for (let i = 0; i < requests; i++) {
        const timing = metrics.timesNext();
        if (timing) timed++;
        metrics.record(allowed, timing ? 1 : undefined, start + (i * 999) / requests);
      }
      return timed;
    };
    expect(second(0, 150)).toBe(150);
    expect(second(1000, 10_000)).toBe(10_000);
    // The last second came at 10,000 a second: 2 % of this one's requests are timed.
    const timed = second(2000, 10_000);
    expect(timed).toBeGreaterThan(150);
    expect(timed).toBeLessThan(250);
    second(3000, 60);
    second(4000, 60);
    // After a quiet second, every request is timed again.
    expect(second(5000, 60)).toBe(60);
  });

  it("keeps only the latencies measured, counting every request", () => {
    const { lines, metrics } = recorder();
    metrics.record(allowed, 2, 0);
    metrics.record(allowed, undefined, 10);
    metrics.record(allowed, 3, 20);
    metrics.flush(1000);
    expect(lines[1]).toMatchObject({ Requests: 2, Latency: [3] });
    expect(lines[0]).toMatchObject({ Requests: 1, Latency: [2] });
  });
});
