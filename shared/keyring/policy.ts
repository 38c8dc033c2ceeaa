import { POLICY_SETTINGS, VERIFICATION_SETTINGS } from "../config/settings.ts";
import { DAY, SECOND } from "../kernel/clock.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import { ALGORITHMS, type Algorithm } from "./key.ts";

/** The rotation policy of DESIGN.md. Every duration is in milliseconds. */
export interface RotationPolicy {
  readonly algorithm: Algorithm;
  readonly strategy: "graceful" | "rolling";
  /** A new key becomes current this long after the previous scheduled one. */
  readonly rotationPeriodMs: number;
  /** How long verifiers may cache the keyring; a pending key waits at least this long. */
  readonly keyringCacheTtlMs: number;
  readonly prePublicationMarginMs: number;
  /**
   * A pending key signs only once every live verifier says it holds it (their receipts); past the
   * pre-publication period by this long, a key still waiting raises `PropagationIncomplete`.
   */
  readonly propagationMaxWaitMs: number;
  /**
   * The longest lifetime a token can have (`exp - iat`); for the sessions keyring, the longest a
   * session sealed under a key may live (sealers refuse to seal longer-lived ones).
   */
  readonly maxTokenLifetimeMs: number;
  /** A previous key verifies for at least this long (>= the maximum token lifetime). */
  readonly minGraceMs: number;
  /** ...and at most this long, whatever its share of verifications. */
  readonly maxGraceMs: number;
  /** Between the two bounds, it retires once its share of the last day's verifications is below this. */
  readonly retireBelowShare: number;
  /** A retired key stays reinstatable this long before it is destroyed. */
  readonly retentionMs: number;
  /** Rolling strategy: the cohort percentages the pending key signs for, one step per `rolloutStepMs`. */
  readonly rolloutSteps: readonly number[];
  readonly rolloutStepMs: number;
}

const V = VERIFICATION_SETTINGS;
const P = POLICY_SETTINGS;

/** DESIGN.md's policy, as the settings table gives its defaults (docs/settings.md). */
export const DEFAULT_POLICY: RotationPolicy = {
  algorithm: P.algorithm.default,
  strategy: P.strategy.default,
  rotationPeriodMs: P.rotationPeriod.default * DAY,
  keyringCacheTtlMs: V.keyringCacheTtl.default * SECOND,
  prePublicationMarginMs: P.prePublicationMargin.default * SECOND,
  propagationMaxWaitMs: P.propagationMaxWait.default * SECOND,
  maxTokenLifetimeMs: V.maxTokenLifetime.default * SECOND,
  minGraceMs: P.minGrace.default * DAY,
  maxGraceMs: P.maxGrace.default * DAY,
  retireBelowShare: P.retireBelowPercent.default / 100,
  retentionMs: P.retention.default * DAY,
  rolloutSteps: [25, 50, 75],
  rolloutStepMs: 7 * DAY,
};

/**
 * The sessions keyring's defaults where they differ from `DEFAULT_POLICY` (docs/settings.md):
 * A256GCM keys, graceful only, a rotation every 30 days (the session-key runbook's recommended
 * cadence), and sessions that live at most 7 days (`maxTokenLifetimeMs`).
 */
export const SESSIONS_POLICY_DEFAULTS = {
  algorithm: "A256GCM",
  strategy: "graceful",
  rotationPeriodMs: P.sessionsRotationPeriod.default * DAY,
  maxTokenLifetimeMs: P.sessionsMaxLifetime.default * SECOND,
} as const satisfies Partial<RotationPolicy>;

/** Fills in defaults and checks every setting at once; throws `ConfigInvalid` naming each problem. */
export function resolvePolicy(overrides: Partial<RotationPolicy> = {}): RotationPolicy {
  const policy: RotationPolicy = { ...DEFAULT_POLICY, ...overrides };
  const problems: string[] = [];
  const durations = [
    "rotationPeriodMs",
    "keyringCacheTtlMs",
    "prePublicationMarginMs",
    "propagationMaxWaitMs",
    "maxTokenLifetimeMs",
    "minGraceMs",
    "maxGraceMs",
    "retentionMs",
    "rolloutStepMs",
  ] as const;
  for (const name of durations) {
    const value = policy[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      problems.push(`${name} must be a whole number of milliseconds >= 0, got ${String(value)}`);
    }
  }
  if (!ALGORITHMS.includes(policy.algorithm)) {
    problems.push(
      `algorithm must be one of ${ALGORITHMS.join(", ")}, got ${String(policy.algorithm)}`,
    );
  }
  if (policy.strategy !== "graceful" && policy.strategy !== "rolling") {
    problems.push(`strategy must be graceful or rolling, got ${String(policy.strategy)}`);
  }
  if (policy.minGraceMs < policy.maxTokenLifetimeMs) {
    problems.push(
      "minGraceMs must be at least maxTokenLifetimeMs, or valid tokens would be refused",
    );
  }
  if (policy.maxGraceMs < policy.minGraceMs)
    problems.push("maxGraceMs must be at least minGraceMs");
  if (policy.rotationPeriodMs <= prePublicationMs(policy)) {
    problems.push(
      "rotationPeriodMs must be longer than keyringCacheTtlMs + prePublicationMarginMs",
    );
  }
  if (!(policy.retireBelowShare >= 0 && policy.retireBelowShare <= 1)) {
    problems.push(
      `retireBelowShare must be a fraction from 0 to 1, got ${String(policy.retireBelowShare)}`,
    );
  }
  const steps = policy.rolloutSteps;
  if (
    !Array.isArray(steps) ||
    steps.length === 0 ||
    steps.some(
      (step, i) =>
        !Number.isInteger(step) || step < 1 || step > 99 || (i > 0 && step <= (steps[i - 1] ?? 0)),
    )
  ) {
    problems.push("rolloutSteps must be increasing whole percentages from 1 to 99");
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return policy;
}

export function prePublicationMs(policy: RotationPolicy): number {
  return policy.keyringCacheTtlMs + policy.prePublicationMarginMs;
}
