import { type Clock, SECOND, systemClock } from "../kernel/clock.ts";
import { ConfigInvalid, wholeNumberProblems } from "../kernel/errors.ts";
import { type KeyringSource, keyringLoader } from "../keyring-store/source.ts";
import { instanceRecorder, upstashOptionProblems } from "../receipts/instance-recorder.ts";
import type { FailureMode } from "../revocation/guard.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { UpstashRevocationCheck } from "../revocation/upstash-check.ts";
import { DEFAULT_REDIS_PREFIX } from "../upstash/prefix.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import type { UsageStore } from "../usage/counts.ts";
import { UpstashUsageCounter } from "../usage/upstash-counter.ts";
import { KeyringCache } from "../verification/keyring-cache.ts";
import type { LegacyLayout } from "./envelope.ts";
import { createSealer, DEFAULT_MAX_SESSION_LIFETIME_SECONDS, type Sealer } from "./sealer.ts";

/**
 * Where the sessions keyring is read: Secrets Manager under the deployment's prefix (the sessions
 * keyring lives beside the signing one, at `<prefix>-sessions`), or any loader.
 */
export type SessionsKeyring = KeyringSource;

export interface SessionsOptions {
  readonly keyring: SessionsKeyring;
  /**
   * Upstash (`UPSTASH_REDIS_REST_URL`/`_TOKEN`): the key rules an emergency writes, checked at
   * every open, and the usage counts the grace gate reads, flushed once a minute.
   */
  readonly upstash?: UpstashSettings;
  /** Instead of `upstash`: the key rules (local stack, tests). */
  readonly revocations?: Pick<RevocationStore, "check">;
  /** Instead of `upstash`: where usage counts go. */
  readonly usage?: Pick<UsageStore, "add">;
  /** Prefix of the Upstash keys (`KEYWARD_REDIS_PREFIX`). Default `kw:`. */
  readonly redisPrefix?: string;
  /** How long a loaded keyring is used before it is reloaded. Default 60 (the verifiers'). */
  readonly cacheTtlSeconds?: number;
  /** While loads fail, the last good keyring opens for at most this long. Default 900. */
  readonly maxStaleSeconds?: number;
  /** The key-rule check answers within this or counts as unavailable. Default 100 ms. */
  readonly revocationBudgetMs?: number;
  /** No answer from the key rules: `closed` (default) refuses the session, `open` opens it. */
  readonly failureMode?: FailureMode;
  /**
   * This service counts as live this long after its last receipt (`KEYWARD_RECEIPT_WINDOW_SECONDS`
   * of the verifiers). Default 300.
   */
  readonly receiptWindowSeconds?: number;
  /** Must match `KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS` of the rotation function. Default 7 days. */
  readonly maxSessionLifetimeSeconds?: number;
  /** Envelopes from before keyward; `false` refuses them. Default: base64 of IV ‖ ciphertext ‖ tag. */
  readonly legacy?: LegacyLayout | false;
  /** The longest envelope opened or sealed, in characters. Default 65,536. */
  readonly maxEnvelopeLength?: number;
  readonly clock?: Clock;
}

export interface Sessions extends Sealer {
  /**
   * Writes the usage counts not yet flushed and the receipt (before a process exits, and on the
   * local stack's schedule), after loading a keyring that is due: the receipt says what the
   * next open would use.
   */
  flush(): Promise<void>;
}

/**
 * `keyward/sessions`: seal and open session data with the sessions keyring, for the services that
 * hold sessions. The keyring is cached as the issuer caches its own (one load in flight; past the
 * TTL a seal waits for the reload, so nothing is sealed with a key retired more than a TTL ago);
 * every open checks the emergency's key rule in one round trip and counts its key's usage.
 */
export function createSessions(options: SessionsOptions): Sessions {
  if (typeof options !== "object" || options === null)
    throw new ConfigInvalid(["createSessions(options): options with a keyring are required"]);
  const clock = options.clock ?? systemClock;
  const problems: string[] = [];
  const loader = keyringLoader(options.keyring, "sessions");
  if ("problems" in loader) problems.push(...loader.problems);
  if (options.upstash === undefined && options.revocations === undefined)
    problems.push(
      "upstash (or revocations) is required: without the key rules an emergency would not reach sessions sealed under the leaked key until the keyring cache expires",
    );
  problems.push(...upstashOptionProblems(options));
  const lifetime = options.maxSessionLifetimeSeconds ?? DEFAULT_MAX_SESSION_LIFETIME_SECONDS;
  if (!(Number.isInteger(lifetime) && lifetime >= 60))
    problems.push("maxSessionLifetimeSeconds must be a whole number of seconds >= 60");
  const { cacheTtlSeconds, maxStaleSeconds, revocationBudgetMs, maxEnvelopeLength } = options;
  problems.push(...wholeNumberProblems({ cacheTtlSeconds, maxStaleSeconds }, 0));
  problems.push(...wholeNumberProblems({ revocationBudgetMs, maxEnvelopeLength }, 1));
  if (options.failureMode !== undefined && !["closed", "open"].includes(options.failureMode))
    problems.push('failureMode must be "closed" or "open"');
  if (problems.length > 0 || "problems" in loader) throw new ConfigInvalid(problems);

  const keyrings = new KeyringCache({
    load: loader.load,
    clock,
    ttlMs: (options.cacheTtlSeconds ?? 60) * SECOND,
    maxStaleMs: (options.maxStaleSeconds ?? 900) * SECOND,
    backgroundReloadForMs: 0,
  });
  const prefix = options.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  const upstash = options.upstash;
  const revocations =
    options.revocations ??
    new UpstashRevocationCheck({
      ...(upstash as UpstashSettings),
      prefix,
      budgetMs: options.revocationBudgetMs ?? 100,
      timing: { maxTokenLifetimeSeconds: lifetime, clockToleranceSeconds: 0 },
    });
  const usageStore =
    options.usage ??
    (upstash === undefined
      ? undefined
      : new UpstashUsageCounter(upstash, prefix, (options.receiptWindowSeconds ?? 300) * SECOND));
  // Its receipt says which sessions keys this service holds (`keyward verifiers`).
  const usage =
    usageStore === undefined
      ? undefined
      : instanceRecorder({
          kind: "sessions",
          keyring: "sessions",
          keyrings,
          store: usageStore,
          clock,
        });
  const sealer = createSealer({
    keyrings,
    revocations,
    clock,
    maxSessionLifetimeSeconds: lifetime,
    ...(options.legacy === undefined ? {} : { legacy: options.legacy }),
    ...(options.maxEnvelopeLength === undefined
      ? {}
      : { maxEnvelopeLength: options.maxEnvelopeLength }),
    ...(options.failureMode === undefined ? {} : { failureMode: options.failureMode }),
    ...(usage === undefined
      ? {}
      : {
          recordUsage: (kid, outcome) => {
            usage.record(kid, clock.now(), outcome);
          },
        }),
  });
  return {
    seal: sealer.seal,
    open: sealer.open,
    flush: async () => {
      await keyrings.get();
      await usage?.flush(clock.now());
    },
  };
}
