import type { AuthResult } from "../../shared/authenticate.ts";
import type { Logger } from "../../shared/observability/log.ts";
import { emitMetrics } from "../../shared/observability/metrics.ts";
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
}

export const METRIC_NAMESPACE = "keyward";

/**
 * The Lambda authorizer: parse the event, take the token, authenticate, answer in the event's own
 * terms. One metric line and one log line per request; neither ever holds the token.
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
    if (result.ok) return allow(parsed as NonNullable<typeof parsed>, result);
    return refuse(parsed);
  };
}

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
  emitMetrics(
    METRIC_NAMESPACE,
    { Function: "authorizer", Outcome: outcome, Reason: reason, KeyStatus: keyStatus },
    [["Function"], ["Function", "Outcome"], ["Function", "Reason"], ["Function", "KeyStatus"]],
    {
      Requests: { value: 1, unit: "Count" },
      Latency: { value: latencyMs, unit: "Milliseconds" },
      ...(result.keyringAgeMs === undefined
        ? {}
        : { KeyringAge: { value: result.keyringAgeMs / 1000, unit: "Seconds" } }),
      StaleKeyring: { value: result.staleKeyring ? 1 : 0, unit: "Count" },
      RevocationStoreUnavailable: {
        value:
          (result.ok && result.revocationUnchecked) ||
          (!result.ok && result.reason === "store_unavailable")
            ? 1
            : 0,
        unit: "Count",
      },
    },
    result.kid === undefined ? {} : { kid: result.kid },
    deps.writeMetrics,
    deps.now(),
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
  if (unrecognised) deps.log.warn("event is not an API Gateway authorizer event", fields);
  else if (result.ok && (result.staleKeyring || result.revocationUnchecked))
    deps.log.warn("allowed in degraded mode", fields);
  else deps.log.info(result.ok ? "allowed" : "refused", fields);
}
