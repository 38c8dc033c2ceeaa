import type { LineWriter } from "../../shared/observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../../shared/observability/metrics.ts";
import type { Receipt } from "../../shared/receipts/receipt.ts";

const lagLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Function"]],
  metrics: { RevocationLagP99: "Milliseconds", RevocationLagMax: "Milliseconds", Applied: "Count" },
});

/**
 * The container's receipts, each also written as a metric line when it measured a revocation lag
 * (entries applied since the last one): the "revocation lag" alarm watches the p99's maximum
 * across containers, minute by minute, where the rotation function reads receipts once a tick.
 */
export function reportingLag(receipt: () => Receipt, write: LineWriter): () => Receipt {
  return () => {
    const taken = receipt();
    const { lag } = taken;
    if (lag !== undefined)
      write(
        lagLine(
          { Function: "authorizer" },
          { RevocationLagP99: lag.p99Ms, RevocationLagMax: lag.maxMs, Applied: lag.applied },
          { instance: taken.instance },
          taken.at,
        ),
      );
    return taken;
  };
}
