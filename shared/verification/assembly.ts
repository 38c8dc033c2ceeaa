import type { VerificationSettings } from "../config/verifier-config.ts";
import { type Clock, SECOND } from "../kernel/clock.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import { cryptoRandom } from "../kernel/random.ts";
import type { Keyring } from "../keyring/keyring.ts";
import type { Logger } from "../observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../observability/metrics.ts";
import { type InstanceKind, newInstanceId, type Receipt } from "../receipts/receipt.ts";
import { receiptReporter } from "../receipts/reporter.ts";
import type { RevocationLog } from "../revocation/change-log.ts";
import { guardRevocations } from "../revocation/guard.ts";
import { RevocationMirror } from "../revocation/mirror.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { UpstashRevocationCheck } from "../revocation/upstash-check.ts";
import { UpstashRevocationLog } from "../revocation/upstash-log.ts";
import type { AsyncDirectCheck } from "../tokens/direct-webcrypto.ts";
import { createVerifier, type DirectCheck, type TokenVerifier } from "../tokens/verifier.ts";
import type { UpstashSettings } from "../upstash/settings.ts";
import { UsageRecorder } from "../usage/counts.ts";
import { UpstashUsageCounter } from "../usage/upstash-counter.ts";
import { type Authenticate, createAuthenticator } from "./authenticate.ts";
import { KeyringCache } from "./keyring-cache.ts";

/** What the runtime adds to the verification path. */
export interface VerificationRuntime {
  /** Told when the revocation mirror outgrows its bound (`reportMirrorOverflow`). */
  readonly onMirrorOverflow?: (rules: number) => void;
  /** Signatures without WebCrypto where Node's crypto exists (`directNode`); jose's otherwise. */
  readonly direct?: DirectCheck;
  /** HS256 through WebCrypto without jose's wrapping (`directWebCrypto`): the edge. */
  readonly directAsync?: AsyncDirectCheck;
}

/** Where a verifier reads the revocation rules: a lookup per request, and the change log its mirror follows. */
export interface RevocationSources {
  readonly lookups: Pick<RevocationStore, "check"> & { warmUp?(): Promise<void> };
  readonly log: RevocationLog;
}

/** The rules in Upstash, read within the verifier's budget: one `MGET` per lookup, the log by `XRANGE`. */
export function upstashRevocationSources(
  upstash: UpstashSettings,
  settings: VerificationSettings,
): RevocationSources {
  return {
    lookups: new UpstashRevocationCheck({
      ...upstash,
      prefix: settings.redisPrefix,
      budgetMs: settings.revocationBudgetMs,
      timing: {
        maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds,
        clockToleranceSeconds: settings.clockToleranceSeconds,
      },
    }),
    log: new UpstashRevocationLog(upstash, settings.redisPrefix, settings.revocationBudgetMs),
  };
}

export interface Verification {
  readonly authenticate: Authenticate;
  /** The revocation mirror, when on: its figures. */
  readonly mirror?: RevocationMirror;
  readonly keyrings: KeyringCache;
  readonly verifier: TokenVerifier;
  /**
   * Opens the revocation store's connection and loads the keyring (keys prepared), at once;
   * false when the keyring could not be loaded (`keyrings.lastError` says why).
   */
  readonly warmUp: () => Promise<boolean>;
}

/**
 * The verification path of a configured verifier, the same for the Lambda authorizer, the edge
 * and the local stack: the keyring behind a cache with the configured TTL, stale bound and
 * unknown-kid cooldown; the verifier with the configured claims; the revocation rules with the
 * budget and failure mode, behind a mirror of them unless `KEYWARD_REVOCATION_MIRROR=off`. Only
 * where the keyring and the rules come from (`load`, `revocations`) differs.
 */
export function verificationFromConfig(
  config: VerificationSettings,
  load: () => Promise<Keyring | undefined>,
  revocations: RevocationSources,
  clock: Clock,
  runtime: VerificationRuntime = {},
): Verification {
  const { onMirrorOverflow, direct, directAsync } = runtime;
  const keyrings = new KeyringCache({
    load,
    clock,
    ttlMs: config.keyringCacheTtlSeconds * SECOND,
    maxStaleMs: config.keyringMaxStaleSeconds * SECOND,
    unknownKidCooldownMs: config.unknownKidCooldownSeconds * SECOND,
    unknownKidWaitMs: config.unknownKidWaitMs,
  });
  const { lookups } = revocations;
  const mirror = config.revocationMirror
    ? new RevocationMirror({
        log: revocations.log,
        fallback: lookups,
        clock,
        freshnessMs: config.revocationFreshnessMs,
        budgetMs: config.revocationBudgetMs,
        maxRules: config.revocationMirrorMaxRules,
        ...(onMirrorOverflow === undefined ? {} : { onOverflow: onMirrorOverflow }),
      })
    : undefined;
  const verifier = createVerifier({
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
    ...(config.tokenType === undefined ? {} : { type: config.tokenType }),
    ...(direct === undefined ? {} : { direct }),
    ...(directAsync === undefined ? {} : { directAsync }),
  });
  return {
    authenticate: createAuthenticator({
      keyrings,
      verifier,
      revocations: guardRevocations(mirror ?? lookups, config.failureMode),
      clock,
      // Signers read the keyring through a cache of the same TTL; a minute of margin.
      signerFollowMs: config.keyringCacheTtlSeconds * SECOND + 60 * SECOND,
    }),
    keyrings,
    verifier,
    ...(mirror === undefined ? {} : { mirror }),
    async warmUp() {
      // The keyring's read first: the longest, and the one every answer needs. The mirror's
      // snapshot opens the store's connection; without a mirror, a lookup opens it.
      const [initial] = await Promise.all([
        keyrings.get(),
        mirror === undefined ? lookups.warmUp?.() : mirror.warmUp(),
      ]);
      if (initial.ok) await verifier.prepare(initial.keyring);
      return initial.ok;
    },
  };
}

const overflowLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Function"]],
  metrics: { RevocationMirrorOverflow: "Count" },
});

/**
 * What a verifier does when its revocation mirror outgrows `KEYWARD_REVOCATION_MIRROR_MAX_RULES`:
 * an error log line and a `RevocationMirrorOverflow` metric; checks go on as lookups.
 */
export function reportMirrorOverflow(
  log: Logger,
  write: (line: string) => void,
  functionName: string,
  clock: Clock,
): (rules: number) => void {
  return (rules) => {
    log.error(
      "the revocation mirror holds more rules than KEYWARD_REVOCATION_MIRROR_MAX_RULES: every check is a lookup (one round trip) in this container from now on",
      { rules },
    );
    write(
      overflowLine(
        { Function: functionName },
        { RevocationMirrorOverflow: 1 },
        { rules: String(rules) },
        clock.now(),
      ),
    );
  };
}

/** Reads a verifier's configuration; a broken one is logged, every problem, before it is thrown. */
export function readOrLog<T>(read: () => T, log: Logger): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigInvalid)
      log.error("configuration is invalid", { problems: error.problems });
    throw error;
  }
}

/**
 * The usage figures a verifier records for the grace gate, flushed to Upstash once a minute with
 * the instance's receipt (what it holds, `receipt`); a failed flush is logged and its counts kept
 * for the next.
 */
export function usageRecorderFor(
  upstash: UpstashSettings,
  settings: Pick<VerificationSettings, "redisPrefix" | "receiptWindowSeconds">,
  clock: Clock,
  log: Logger,
  receipt?: () => Receipt,
): UsageRecorder {
  return new UsageRecorder(
    new UpstashUsageCounter(upstash, settings.redisPrefix, settings.receiptWindowSeconds * SECOND),
    clock.now(),
    undefined,
    (error) =>
      log.warn("usage figures could not be written; they are kept for the next flush", { error }),
    receipt,
  );
}

/** A verifier's receipts: a new instance id, its keyring as held and its mirror's position and lag. */
export function verifierReceipts(
  kind: InstanceKind,
  region: string,
  verification: Pick<Verification, "keyrings" | "mirror">,
  clock: Clock,
): () => Receipt {
  const { keyrings, mirror } = verification;
  return receiptReporter({
    instance: newInstanceId(cryptoRandom),
    kind,
    region,
    keyring: "signing",
    held: () => keyrings.held,
    ...(mirror === undefined ? {} : { mirror }),
    clock,
  });
}
