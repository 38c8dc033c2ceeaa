import type { Logger } from "../../shared/observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../../shared/observability/metrics.ts";
import type { UsageOutcome } from "../../shared/usage/counts.ts";
import { type AuthResult, usageOf } from "../../shared/verification/authenticate.ts";
import { allow, refuse } from "./answers.ts";
import { parseEvent } from "./events.ts";
import { extractToken, type TokenSource } from "./token-source.ts";

export interface AuthorizerDeps {
  readonly authenticate: (token: string | undefined) => Promise<AuthResult>;
  readonly tokenSource: TokenSource;
  readonly log: Logger;
  /** Where metric lines go (stdout in Lambda). */
  readonly writeMetrics: (line: string) => void;
  readonly now: () => number;
  /**
   * Counts a verification for its key (the rotation's grace gate reads the figures), or a refusal
   * caused by a retirement (the journal reads those).
   */
  readonly recordUsage?: (kid: string, outcome: UsageOutcome) => void;
}

/**
 * The Lambda authorizer: parse the event, take the token, authenticate, answer in the event's own
 * terms. One metric line per request, and a log line per refusal or degraded allow; neither ever
 * holds the token.
 */
export function createAuthorizer(deps: AuthorizerDeps): (event: unknown) => Promise<unknown> {
  return async (event) => {
    const started = performance.now();
    const parsed = parseEvent(event);
    const result: AuthResult =
      parsed === undefined
        ? { ok: false, reason: "malformed" }
        : await deps.authenticate(extractToken(parsed, deps.tokenSource));
    const latencyMs = performance.now() - started;
    record(deps, result, latencyMs, parsed === undefined);
    const usage = usageOf(result);
    if (usage !== undefined) deps.recordUsage?.(usage.kid, usage.outcome);
    if (result.ok) {
      return allow(parsed as NonNullable<typeof parsed>, result);
    }
    return refuse(parsed);
  };
}

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
const lineWithoutAge = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: DIMENSION_SETS,
  metrics: COUNTS,
});

function record(
  deps: AuthorizerDeps,
  result: AuthResult,
  latencyMs: number,
  unrecognised: boolean,
): void {
  const outcome = result.ok ? "allow" : "deny";
  const reason = result.ok
    ? result.revocationUnchecked
      ? "allowed_unchecked"
      : "none"
    : result.reason;
  const keyStatus = result.keyStatus ?? "none";
  const storeDown = result.ok ? result.revocationUnchecked : result.reason === "store_unavailable";
  const values = {
    Requests: 1,
    Latency: latencyMs,
    StaleKeyring: result.staleKeyring ? 1 : 0,
    RevocationStoreUnavailable: storeDown ? 1 : 0,
    KeyringAge: (result.keyringAgeMs ?? 0) / 1000,
    RevocationLatency: result.revocationMs ?? 0,
  };
  // A metric is left out when it was not measured, so its statistics are not diluted by zeros.
  const line =
    result.keyringAgeMs === undefined
      ? lineWithoutAge
      : result.revocationMs === undefined
        ? lineWithAge
        : lineWithStore;
  deps.writeMetrics(
    line(
      { Function: "authorizer", Outcome: outcome, Reason: reason, KeyStatus: keyStatus },
      values,
      result.kid === undefined ? {} : { kid: result.kid },
      deps.now(),
    ),
  );
  const fields = {
    outcome,
    reason,
    keyStatus,
    latencyMs: Math.round(latencyMs * 100) / 100,
    ...(result.kid === undefined ? {} : { kid: result.kid }),
    ...(result.ok && typeof result.claims.jti === "string" ? { jti: result.claims.jti } : {}),
    ...(!result.ok && result.rule !== undefined ? { rule: result.rule } : {}),
  };
  // Every request is counted in the metric line above; the log keeps what someone may have to
  // investigate (refusals, degraded allows) and not a line per allowed request, which at API
  // volume would cost more in CloudWatch Logs than the authorizer itself.
  if (unrecognised) deps.log.warn("event is not an API Gateway authorizer event", fields);
  else if (!result.ok) deps.log.info("refused", fields);
  else if (result.staleKeyring || result.revocationUnchecked)
    deps.log.warn("allowed in degraded mode", fields);
}
