import type { Clock } from "../../shared/kernel/clock.ts";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { reportRevocationLag } from "../../shared/operations/revocation-lag.ts";
import { tickAll } from "../../shared/operations/tick-all.ts";
import type { JwksConsumerLog } from "../../shared/receipts/jwks-consumer.ts";
import type { ReceiptReader } from "../../shared/receipts/store.ts";
import type { UsageStore } from "../../shared/usage/counts.ts";

export interface LocalScheduler {
  /** Runs the rotation policy of every keyring once, now. */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * The local stack's rotation scheduler: every `periodMs`, the usage figures and receipts are
 * flushed and each keyring ticks, as the rotation function does on its schedule; what changed,
 * waits or failed is logged.
 */
export function startScheduler(options: {
  readonly keyrings: readonly OperationDeps[];
  readonly usage: UsageStore;
  /** The verifiers' receipts and the JWKS's consumers: a pending key signs once they all hold it. */
  readonly receipts: ReceiptReader;
  readonly jwksConsumers: Pick<JwksConsumerLog, "recent">;
  /** Work to do first (flushing usage counts and receipts, so the gates read them). */
  readonly before: (now: number) => Promise<unknown>;
  readonly periodMs: number;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}): LocalScheduler {
  const { clock, log } = options;
  const stamp = () => new Date(clock.now()).toISOString();
  const once = async () => {
    const now = clock.now();
    await options.before(now);
    const keyrings = options.keyrings.map((keyring) => ({
      ...keyring,
      usage: options.usage,
      receipts: options.receipts,
      jwksConsumers: options.jwksConsumers,
    }));
    await tickAll(keyrings, now, (name, outcome) => {
      if (outcome.status === "applied")
        log(
          `${stamp()} tick (${name}): ${outcome.actions.map((a) => ("kid" in a ? `${a.type} ${a.kid}` : a.type)).join(", ")} (revision ${outcome.revision})`,
        );
      else if (outcome.status === "failed")
        log(`${stamp()} tick (${name}) failed: ${outcome.reason}`);
      if ("propagation" in outcome && outcome.propagation !== undefined) {
        const { kid, held, live } = outcome.propagation;
        log(
          `${stamp()} tick (${name}): ${kid} waits to sign: held by ${held} of ${live} live verifiers`,
        );
      }
    });
    const [signing] = options.keyrings;
    if (signing !== undefined)
      await reportRevocationLag({ events: signing.events, receipts: options.receipts }, now);
  };
  const timer = setInterval(() => {
    once().catch((error: unknown) =>
      console.error(
        JSON.stringify({
          level: "error",
          message: "scheduler tick failed",
          name: (error as Error).name,
        }),
      ),
    );
  }, options.periodMs);
  timer.unref();
  return { tick: once, stop: () => clearInterval(timer) };
}
