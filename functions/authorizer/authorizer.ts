import type { Logger } from "../../shared/observability/log.ts";
import {
  type Authenticate,
  type AuthResult,
  countUsage,
  type UsageCount,
} from "../../shared/verification/authenticate.ts";
import { AllowPolicies, allow, refuse } from "./answers.ts";
import { parseEvent } from "./events.ts";
import { outcomeOf, RequestMetrics, reasonOf } from "./request-metrics.ts";
import { extractToken, type TokenSource } from "./token-source.ts";

export interface AuthorizerDeps {
  readonly authenticate: Authenticate;
  readonly tokenSource: TokenSource;
  readonly log: Logger;
  /** Where metric lines go (stdout in Lambda). */
  readonly writeMetrics: (line: string) => void;
  /** Requests' figures are written together at most this often (`RequestMetrics`). Default 1,000. */
  readonly metricsFlushMs?: number;
  readonly now: () => number;
  /**
   * Counts a verification for its key (the rotation's grace gate reads the figures), or a refusal
   * caused by a retirement (the journal reads those), at `nowMs` (the request's `now`); a
   * verification with the party the token was issued for (the impact preview reads those).
   */
  readonly recordUsage?: UsageCount;
}

/**
 * The Lambda authorizer: parse the event, take the token, authenticate, answer in the event's own
 * terms. Its figures aggregated into a metric line a second (`RequestMetrics`), and a log line per
 * refusal or degraded allow; neither ever holds the token.
 */
export function createAuthorizer(deps: AuthorizerDeps): (event: unknown) => Promise<unknown> {
  const metrics = new RequestMetrics(deps.writeMetrics, deps.metricsFlushMs);
  const policies = new AllowPolicies();
  return async (event) => {
    const timed = metrics.timesNext();
    const started = timed ? performance.now() : 0;
    const parsed = parseEvent(event);
    const answer =
      parsed === undefined ? MALFORMED : deps.authenticate(extractToken(parsed, deps.tokenSource));
    const result = answer instanceof Promise ? await answer : answer;
    const latencyMs = timed ? performance.now() - started : undefined;
    const nowMs = deps.now();
    record(deps, metrics, result, latencyMs, nowMs, parsed === undefined);
    if (deps.recordUsage !== undefined) countUsage(result, deps.recordUsage, nowMs);
    if (result.ok) {
      return allow(parsed as NonNullable<typeof parsed>, result, policies);
    }
    return refuse(parsed);
  };
}

const MALFORMED: AuthResult = { ok: false, reason: "malformed" };

function record(
  deps: AuthorizerDeps,
  metrics: RequestMetrics,
  result: AuthResult,
  latencyMs: number | undefined,
  nowMs: number,
  unrecognised: boolean,
): void {
  metrics.record(result, latencyMs, nowMs);
  // Every request is counted in the metric line; the log keeps what someone may have to
  // investigate (refusals, degraded allows) and not a line per allowed request, which at API
  // volume would cost more in CloudWatch Logs than the authorizer itself.
  const message = unrecognised
    ? "event is not an API Gateway authorizer event"
    : !result.ok
      ? "refused"
      : result.staleKeyring || result.revocationUnchecked
        ? "allowed in degraded mode"
        : undefined;
  if (message === undefined) return;
  const fields = {
    outcome: outcomeOf(result),
    reason: reasonOf(result),
    keyStatus: result.keyStatus ?? "none",
    ...(latencyMs === undefined ? {} : { latencyMs: Math.round(latencyMs * 100) / 100 }),
    ...(result.kid === undefined ? {} : { kid: result.kid }),
    ...(result.ok && typeof result.claims.jti === "string" ? { jti: result.claims.jti } : {}),
    ...(!result.ok && result.rule !== undefined ? { rule: result.rule } : {}),
  };
  if (result.ok || unrecognised) deps.log.warn(message, fields);
  else deps.log.info(message, fields);
}
