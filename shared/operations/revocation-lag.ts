import type { EventPublisher, KeywardEvent } from "../events/events.ts";
import { NAMED_AT_MOST, type Receipt } from "../receipts/receipt.ts";
import type { ReceiptReader } from "../receipts/store.ts";
import { REVOCATION_PROMISE_MS } from "../revocation/mirror.ts";

/** The live instances whose last receipt measured a revocation lag (p99) beyond the promise. */
export function lateInstances(
  receipts: readonly Receipt[],
  promiseMs = REVOCATION_PROMISE_MS,
): Receipt[] {
  return receipts.filter((receipt) => (receipt.lag?.p99Ms ?? 0) > promiseMs);
}

/**
 * Reads the live receipts and publishes `RevocationLagExceeded` when some instance applied the
 * revocation log's entries later than the promise (1 s, p99 of its last minute): a revocation
 * answered 2xx was not enforced there in time. Run with every rotation tick; answers how many
 * instances were late (receipts that cannot be read answer 0: the tick's other work goes on).
 */
export async function reportRevocationLag(
  deps: { readonly events: EventPublisher; readonly receipts: ReceiptReader },
  now: number,
): Promise<number> {
  let late: Receipt[];
  try {
    late = lateInstances(await deps.receipts.live(now));
  } catch {
    return 0;
  }
  if (late.length > 0) await deps.events.publish([lagEvent(late, now)]);
  return late.length;
}

function lagEvent(late: readonly Receipt[], now: number): KeywardEvent {
  const worst = Math.max(...late.map((receipt) => receipt.lag?.p99Ms ?? 0));
  return {
    type: "RevocationLagExceeded",
    at: new Date(now).toISOString(),
    detail: {
      instances: late.length,
      worstP99Ms: worst,
      promiseMs: REVOCATION_PROMISE_MS,
      late: late
        .slice(0, NAMED_AT_MOST)
        .map(
          (r) =>
            `${r.kind} ${r.region} ${r.instance}: p99 ${r.lag?.p99Ms} ms, max ${r.lag?.maxMs} ms over ${r.lag?.applied} applied`,
        ),
      detail: `${late.length} live verifier(s) applied revocations later than ${REVOCATION_PROMISE_MS} ms (p99, last minute): a revocation answered 2xx was not enforced there within the promise. Check their mirror settings (KEYWARD_REVOCATION_FRESHNESS_MS) and clocks (the lag is measured against Redis's clock)`,
    },
  };
}
