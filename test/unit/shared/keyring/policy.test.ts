import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import {
  DEFAULT_POLICY,
  prePublicationMs,
  resolvePolicy,
} from "../../../../shared/keyring/policy.ts";

const policy = resolvePolicy();
const PRE = prePublicationMs(policy);

describe("resolvePolicy", () => {
  it("defaults to DESIGN.md's numbers", () => {
    expect(policy).toEqual(DEFAULT_POLICY);
    expect(policy).toMatchObject({
      rotationPeriodMs: 90 * DAY,
      minGraceMs: 7 * DAY,
      maxGraceMs: 21 * DAY,
      retentionMs: 7 * DAY,
    });
    expect(PRE).toBe(2 * MINUTE);
  });

  it("reports every invalid setting at once", () => {
    let problems: readonly string[] = [];
    try {
      resolvePolicy({
        minGraceMs: HOUR,
        maxGraceMs: 30 * MINUTE,
        retireBelowShare: 2,
        rotationPeriodMs: -1,
        rolloutSteps: [50, 25],
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigInvalid);
      problems = (error as ConfigInvalid).problems;
    }
    expect(problems).toEqual([
      "rotationPeriodMs must be a whole number of milliseconds >= 0, got -1",
      "minGraceMs must be at least maxTokenLifetimeMs, or valid tokens would be refused",
      "maxGraceMs must be at least minGraceMs",
      "rotationPeriodMs must be longer than keyringCacheTtlMs + prePublicationMarginMs",
      "retireBelowShare must be a fraction from 0 to 1, got 2",
      "rolloutSteps must be increasing whole percentages from 1 to 99",
    ]);
  });
});
