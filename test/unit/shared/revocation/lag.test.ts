import { describe, expect, it } from "vitest";
import { LagMeter } from "../../../../shared/revocation/lag.ts";

describe("LagMeter", () => {
  it("reports nothing until an entry is applied", () => {
    expect(new LagMeter().take()).toBeUndefined();
  });

  it("gives the count, median, 99th percentile and maximum since it was last read, then starts again", () => {
    const meter = new LagMeter();
    for (let ms = 1; ms <= 100; ms++) meter.record(ms * 10);
    expect(meter.take()).toEqual({ applied: 100, p50Ms: 510, p99Ms: 1000, maxMs: 1000 });
    meter.record(-5); // a writer's clock ahead of this instance's: not a negative delay
    expect(meter.take()).toEqual({ applied: 1, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    expect(meter.take()).toBeUndefined();
  });

  it("keeps the maximum exactly and the percentiles from a sample past 1,000 entries", () => {
    let seed = 1;
    const meter = new LagMeter(() => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    });
    for (let i = 0; i < 20_000; i++) meter.record(i % 1000);
    meter.record(5_000);
    const lag = meter.take();
    expect(lag).toMatchObject({ applied: 20_001, maxMs: 5_000 });
    expect(lag?.p50Ms).toBeGreaterThan(400);
    expect(lag?.p50Ms).toBeLessThan(600);
  });
});
