import { ConfigInvalid } from "../kernel/errors.ts";
import { DEFAULT_REFRESH, type RefreshSettings, type RefreshStore } from "./store.ts";

/** What an issuer needs to hand out refresh tokens (docs/refresh-tokens.md). */
export interface RefreshOptions {
  readonly store: RefreshStore;
  /**
   * At least 32 bytes, the same for every issuer of a deployment: a token's successor is an HMAC
   * of it under this secret (so a retry gets the same one back). Keep it like a signing key.
   */
  readonly secret: Uint8Array;
  /** Default 7 days. */
  readonly idleSeconds?: number;
  /** Default 30 days. */
  readonly absoluteSeconds?: number;
  /**
   * A used token presented again within this many seconds gets the same successor, as often as
   * it comes (tabs refreshing at once, a retried request). Default 10; from 0 to 60.
   */
  readonly graceSeconds?: number;
  /**
   * Called once a reused token has revoked its family (journal, event, metric): the family id and
   * subject, never the token.
   */
  readonly onReused?: (reuse: { familyId: string; sub: string; atMs: number }) => Promise<void>;
}

/** The settings of `options`, every problem named at once. */
export function refreshSettings(
  options: RefreshOptions,
  accessRuleExpiry: RefreshSettings["accessRuleExpiry"],
): RefreshSettings {
  const idle = options.idleSeconds ?? DEFAULT_REFRESH.idleMs / 1000;
  const absolute = options.absoluteSeconds ?? DEFAULT_REFRESH.absoluteMs / 1000;
  const grace = options.graceSeconds ?? DEFAULT_REFRESH.graceMs / 1000;
  const whole = (value: number, min: number, max: number) =>
    Number.isSafeInteger(value) && value >= min && value <= max;
  const problems: string[] = [];
  if (!(options.secret instanceof Uint8Array) || options.secret.length < 32)
    problems.push("refresh.secret must be at least 32 bytes");
  if (!whole(absolute, 60, 365 * 86_400))
    problems.push("refresh.absoluteSeconds must be a whole number from 60 to 31536000");
  if (!whole(idle, 60, absolute))
    problems.push("refresh.idleSeconds must be a whole number from 60 to refresh.absoluteSeconds");
  if (!whole(grace, 0, 60))
    problems.push("refresh.graceSeconds must be a whole number from 0 to 60");
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return {
    idleMs: idle * 1000,
    absoluteMs: absolute * 1000,
    graceMs: grace * 1000,
    accessRuleExpiry,
  };
}
