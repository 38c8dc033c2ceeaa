import type { LineWriter } from "../observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../observability/metrics.ts";
import type { EventPublisher, KeywardEvent } from "./events.ts";

const eventLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Type"], ["Function", "Type"]],
  metrics: { Events: "Count", Revocations: "Count" },
});

/**
 * Counts every event as a CloudWatch metric (`Events` by `Type`; `Revocations` for the items of
 * `TokensRevoked`) before publishing it: the dashboard graphs them and the RotationFailed alarm
 * watches them, whichever function raised the event. Counted even if publishing then fails: the
 * event happened.
 */
export function withEventMetrics(
  publisher: EventPublisher,
  write: LineWriter,
  functionName: string,
): EventPublisher {
  return {
    async publish(events: readonly KeywardEvent[]): Promise<void> {
      for (const event of events) write(metricsOf(event, functionName));
      await publisher.publish(events);
    },
  };
}

function metricsOf(event: KeywardEvent, functionName: string): string {
  const items = event.type === "TokensRevoked" ? Number(event.detail.items ?? 0) : 0;
  return eventLine(
    { Type: event.type, Function: functionName },
    { Events: 1, Revocations: items },
    {},
    Date.parse(event.at),
  );
}
