import { type Clock, MINUTE } from "../kernel/clock.ts";
import { cryptoRandom } from "../kernel/random.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { redisPrefixProblem } from "../upstash/prefix.ts";
import { upstashProblems } from "../upstash/settings.ts";
import { UsageRecorder, type UsageStore } from "../usage/counts.ts";
import { type InstanceKind, newInstanceId } from "./receipt.ts";
import { receiptReporter } from "./reporter.ts";

/** The keyring cache an instance reports on: what it holds, and a hook for each load. */
export interface HeldKeyring {
  readonly held: Keyring | undefined;
  onLoaded: ((before: Keyring | undefined, after: Keyring) => void) | undefined;
}

/**
 * The usage recorder of a library instance (a `keyward/sessions` service, a `keyward/issuer`
 * login service): a random id, its receipt with each flush (at most once a minute, in each minute
 * it serves), and at once when it loads a new revision of its keyring (`reportingChanges`), so an
 * emergency's journal and `keyward verifiers` see it follow without waiting for its next minute. Its region is the
 * process's `AWS_REGION`, else `unknown`; a failed write is kept for the next and never thrown.
 */
export function instanceRecorder(options: {
  readonly kind: InstanceKind;
  readonly keyring: "signing" | "sessions";
  readonly keyrings: HeldKeyring;
  readonly store: Pick<UsageStore, "add">;
  readonly clock: Clock;
}): UsageRecorder {
  const { keyrings, clock } = options;
  const recorder = new UsageRecorder(
    options.store,
    clock.now(),
    MINUTE,
    undefined,
    receiptReporter({
      instance: newInstanceId(cryptoRandom),
      kind: options.kind,
      region: globalThis.process?.env?.AWS_REGION ?? "unknown",
      keyring: options.keyring,
      held: () => keyrings.held,
      clock,
    }),
  );
  reportingChanges({ keyrings }, recorder, clock);
  return recorder;
}

/**
 * The instance writes its usage counts and receipt at once, whatever the minute, when its mirror
 * applies a key rule or it loads a new revision of its keyring: an emergency reads the receipts
 * to tell who enforces it, and a pending key's activation who holds it. The write runs beside the
 * request that caused it (`keep` hands it to a runtime that must be told to wait for it, as
 * Workers' `waitUntil`); a failed write keeps its counts for the next.
 */
export function reportingChanges(
  sources: {
    readonly keyrings: HeldKeyring;
    readonly mirror?: { onKeyRuleApplied: (() => void) | undefined } | undefined;
  },
  usage: Pick<UsageRecorder, "report">,
  clock: Clock,
  keep: (flush: Promise<void>) => void = () => undefined,
): void {
  const report = () => keep(usage.report(() => clock.now()));
  const { mirror, keyrings } = sources;
  if (mirror !== undefined) mirror.onKeyRuleApplied = report;
  keyrings.onLoaded = (before, after) => {
    if (before !== undefined && before.revision !== after.revision) report();
  };
}

/**
 * What is wrong with a library's Upstash options, each named: the settings, the key prefix and
 * the receipts' window (2 minutes to an hour, as `KEYWARD_RECEIPT_WINDOW_SECONDS`).
 */
export function upstashOptionProblems(options: {
  readonly upstash?: unknown;
  readonly redisPrefix?: string | undefined;
  readonly receiptWindowSeconds?: number | undefined;
}): string[] {
  const problems = options.upstash === undefined ? [] : upstashProblems(options.upstash);
  const prefix =
    options.redisPrefix === undefined
      ? undefined
      : redisPrefixProblem(options.redisPrefix, "redisPrefix");
  if (prefix !== undefined) problems.push(prefix);
  const window = options.receiptWindowSeconds;
  if (window !== undefined && !(Number.isInteger(window) && window >= 120 && window <= 3600))
    problems.push("receiptWindowSeconds must be a whole number from 120 to 3600");
  return problems;
}
