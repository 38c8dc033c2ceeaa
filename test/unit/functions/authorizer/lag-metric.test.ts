import { describe, expect, it } from "vitest";
import { reportingLag } from "../../../../functions/authorizer/lag-metric.ts";
import { T0 } from "../../../support/deterministic.ts";
import { receiptOf } from "../../../support/receipts.ts";

describe("reportingLag", () => {
  it("writes each receipt's measured revocation lag as a metric line, and nothing for a receipt without one", () => {
    const lines: string[] = [];
    const measured = receiptOf("c1", T0, {
      lag: { applied: 12, p50Ms: 300, p99Ms: 1200, maxMs: 1300 },
    });
    const receipts = [measured, receiptOf("c1", T0 + 60_000)];
    const report = reportingLag(
      () => receipts.shift()!,
      (line) => lines.push(line),
    );
    expect(report()).toBe(measured);
    report();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        Function: "authorizer",
        RevocationLagP99: 1200,
        RevocationLagMax: 1300,
        Applied: 12,
        instance: "c1",
        _aws: expect.objectContaining({ Timestamp: T0 }),
      }),
    ]);
  });
});
