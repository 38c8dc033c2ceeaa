import type { LineWriter } from "../../shared/observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../../shared/observability/metrics.ts";
import type { AuthResult } from "../../shared/verification/authenticate.ts";

/** With and without the keyring's age (unknown when a request is refused before the keyring is read). */
const DIMENSION_SETS = [
  ["Function"],
  ["Function", "Outcome"],
  ["Function", "Reason"],
  ["Function", "KeyStatus"],
];
const COUNTS = {
  Requests: "Count",
  Latency: "Milliseconds",
  StaleKeyring: "Count",
  RevocationStoreUnavailable: "Count",
} as const;
// A metric is left out of a line when it was not measured, so its statistics are not diluted.
const lineWithoutAge = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: DIMENSION_SETS,
  metrics: COUNTS,
});
const lineWithAge = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: DIMENSION_SETS,
  metrics: { ...COUNTS, KeyringAge: "Seconds" },
});
const lineWithStore = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: DIMENSION_SETS,
  metrics: { ...COUNTS, KeyringAge: "Seconds", RevocationLatency: "Milliseconds" },
});

/** A request's outcome, as the metrics' `Outcome` dimension and the log say it. */
export function outcomeOf(result: AuthResult): "allow" | "deny" {
  return result.ok ? "allow" : "deny";
}

/** A request's reason: its refusal, or for an allowed one whether its revocation was checked. */
export function reasonOf(result: AuthResult): string {
  if (!result.ok) return result.reason;
  return result.revocationUnchecked ? "allowed_unchecked" : "none";
}

interface Batch {
  readonly dimensions: {
    readonly Function: string;
    readonly Outcome: string;
    readonly Reason: string;
    readonly KeyStatus: string;
  };
  readonly kid: string | undefined;
  readonly at: number;
  requests: number;
  stale: number;
  storeDown: number;
  keyringAge: number;
  readonly latency: number[];
  /** Requests of this line that were timed, of which `latency` holds a sample. */
  timed: number;
  readonly revocationLatency: number[];
  /** Store round trips measured, of which `revocationLatency` holds a sample. */
  revocationMeasured: number;
}

/** CloudWatch takes at most 100 values of a metric in one embedded-metric line. */
export const SAMPLES_PER_LINE = 100;

/** About this many requests a second are timed, whatever the traffic (`timesNext`). */
export const TIMED_PER_SECOND = 200;

/**
 * The authorizer's per-request figures as CloudWatch embedded metrics, aggregated: requests of the
 * same outcome, reason, key status and key share one line (counts summed, the keyring's age its
 * maximum, latencies as a uniform sample of at most 100 of the second's requests), written when a
 * second has passed since the last write. A request after a quiet second is written at once, so
 * at low traffic every request still has its line and every latency its value; at API volume it
 * is a line a second instead of a line a request (or a hundred), whose formatting and ingestion
 * cost more than the verification. What a container's last second held is written with its next
 * request; a container reclaimed before one loses at most that second. Only the latencies a line
 * can keep are measured: every request while the last second saw up to 200, else each request
 * with the same chance, about 200 a second (two clock reads fewer for the others).
 */
export class RequestMetrics {
  readonly #write: LineWriter;
  readonly #flushMs: number;
  readonly #batches = new Map<string, Batch>();
  #last: Batch | undefined;
  #flushedAt = Number.NEGATIVE_INFINITY;
  /** Requests since the last write, and the chance of timing one (from the rate they came at). */
  #requests = 0;
  #timedShare = 1;
  readonly #random: () => number;

  /** `random` in [0, 1) picks the latencies kept once a line holds its 100. */
  constructor(write: LineWriter, flushMs = 1000, random: () => number = Math.random) {
    this.#write = write;
    this.#flushMs = flushMs;
    this.#random = random;
  }

  /**
   * Whether to time the next request. Each request has the same chance within a second, so the
   * latencies sampled stay those of all its requests.
   */
  timesNext(): boolean {
    return this.#timedShare >= 1 || this.#random() < this.#timedShare;
  }

  /** `latencyMs`: undefined for a request that was not timed (`timesNext`). */
  record(result: AuthResult, latencyMs: number | undefined, nowMs: number): void {
    this.#requests++;
    const outcome = outcomeOf(result);
    const reason = reasonOf(result);
    const keyStatus = result.keyStatus ?? "none";
    // Most requests fall in the last request's batch: found without building its key.
    const last = this.#last;
    const batch =
      last !== undefined &&
      last.dimensions.Outcome === outcome &&
      last.dimensions.Reason === reason &&
      last.dimensions.KeyStatus === keyStatus &&
      last.kid === result.kid
        ? last
        : this.#batchOf(outcome, reason, keyStatus, result.kid, nowMs);
    batch.requests++;
    if (result.staleKeyring === true) batch.stale++;
    if (result.ok ? result.revocationUnchecked : result.reason === "store_unavailable")
      batch.storeDown++;
    if (latencyMs !== undefined) this.#sample(batch.latency, ++batch.timed, latencyMs);
    // Left out when not measured (refused before the keyring, or the store), not a zero.
    if (result.keyringAgeMs !== undefined)
      batch.keyringAge = Math.max(batch.keyringAge, result.keyringAgeMs / 1000);
    if (result.revocationMs !== undefined)
      this.#sample(batch.revocationLatency, ++batch.revocationMeasured, result.revocationMs);
    if (nowMs - this.#flushedAt >= this.#flushMs) this.flush(nowMs);
  }

  /**
   * Keeps `ms`, the `count`th value measured in this line, in a uniform sample of at most 100
   * (reservoir sampling): the line's percentiles stay those of all its requests.
   */
  #sample(samples: number[], count: number, ms: number): void {
    const slot = count <= SAMPLES_PER_LINE ? count - 1 : Math.floor(this.#random() * count);
    // Hundredths of a millisecond: enough for a latency, and short to write.
    if (slot < SAMPLES_PER_LINE) samples[slot] = Math.round(ms * 100) / 100;
  }

  #batchOf(
    outcome: string,
    reason: string,
    keyStatus: string,
    kid: string | undefined,
    nowMs: number,
  ): Batch {
    const key = `${outcome}|${reason}|${keyStatus}|${kid ?? ""}`;
    let batch = this.#batches.get(key);
    if (batch === undefined) {
      batch = {
        dimensions: {
          Function: "authorizer",
          Outcome: outcome,
          Reason: reason,
          KeyStatus: keyStatus,
        },
        kid,
        at: nowMs,
        requests: 0,
        stale: 0,
        storeDown: 0,
        keyringAge: Number.NEGATIVE_INFINITY,
        latency: [],
        timed: 0,
        revocationLatency: [],
        revocationMeasured: 0,
      };
      this.#batches.set(key, batch);
    }
    this.#last = batch;
    return batch;
  }

  /** Writes every pending line now. */
  flush(nowMs: number): void {
    for (const batch of this.#batches.values()) {
      const aged = batch.keyringAge !== Number.NEGATIVE_INFINITY;
      const line = !aged
        ? lineWithoutAge
        : batch.revocationLatency.length === 0
          ? lineWithAge
          : lineWithStore;
      this.#write(
        line(
          batch.dimensions,
          {
            Requests: batch.requests,
            Latency: batch.latency,
            StaleKeyring: batch.stale,
            RevocationStoreUnavailable: batch.storeDown,
            KeyringAge: aged ? batch.keyringAge : 0,
            RevocationLatency: batch.revocationLatency,
          },
          batch.kid === undefined ? {} : { kid: batch.kid },
          batch.at,
        ),
      );
    }
    this.#batches.clear();
    this.#last = undefined;
    const perSecond = (this.#requests * 1000) / Math.max(1000, nowMs - this.#flushedAt);
    this.#timedShare = Math.min(1, TIMED_PER_SECOND / perSecond);
    this.#requests = 0;
    this.#flushedAt = nowMs;
  }
}
