import { type LineWriter, stdoutWriter } from "./log.ts";

export type MetricUnit = "Count" | "Milliseconds" | "Seconds" | "None";

export interface MetricSample {
  readonly value: number;
  readonly unit: MetricUnit;
}

/**
 * CloudWatch embedded metric format: one JSON line that CloudWatch Logs turns into metrics, at no
 * extra call. Every dimension set names keys present in `dimensions`.
 */
export function emitMetrics(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  dimensionSets: readonly (readonly string[])[],
  metrics: Readonly<Record<string, MetricSample>>,
  properties: Readonly<Record<string, string | number | boolean>> = {},
  write: LineWriter = stdoutWriter,
  now = Date.now(),
): void {
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: dimensionSets,
          Metrics: Object.entries(metrics).map(([Name, sample]) => ({ Name, Unit: sample.unit })),
        },
      ],
    },
    ...properties,
    ...dimensions,
  };
  for (const [name, sample] of Object.entries(metrics)) document[name] = sample.value;
  write(JSON.stringify(document));
}
