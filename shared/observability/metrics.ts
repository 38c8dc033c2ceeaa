/** Every keyward metric lives in this CloudWatch namespace (the alarms and the dashboard read it). */
export const METRIC_NAMESPACE = "keyward";

export type MetricUnit = "Count" | "Milliseconds" | "Seconds" | "None";

export interface MetricLineShape {
  readonly namespace: string;
  readonly dimensionSets: readonly (readonly string[])[];
  /** Every metric the line carries, with its unit. */
  readonly metrics: Readonly<Record<string, MetricUnit>>;
}

/** A metric's value on a line: one number, or up to 100 samples (each counted by CloudWatch). */
export type MetricValue = number | readonly number[];

export type MetricLine = (
  dimensions: Readonly<Record<string, string>>,
  values: Readonly<Record<string, MetricValue>>,
  properties: Readonly<Record<string, string>>,
  timestamp: number,
) => string;

/**
 * CloudWatch embedded metric format: one JSON line that CloudWatch Logs turns into metrics, at no
 * extra call. The metadata block is the same on every line of a shape, so it is serialized once;
 * a hot path (the authorizer writes one line per request) only fills in the values.
 */
export function metricLine(shape: MetricLineShape): MetricLine {
  const metadata = JSON.stringify([
    {
      Namespace: shape.namespace,
      Dimensions: shape.dimensionSets,
      Metrics: Object.entries(shape.metrics).map(([Name, Unit]) => ({ Name, Unit })),
    },
  ]);
  const names = Object.keys(shape.metrics);
  return (dimensions, values, properties, timestamp) => {
    let line = `{"_aws":{"Timestamp":${timestamp},"CloudWatchMetrics":${metadata}}`;
    for (const [name, value] of Object.entries(properties))
      line += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
    for (const [name, value] of Object.entries(dimensions))
      line += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
    for (const name of names) line += `,"${name}":${valueText(values[name])}`;
    return `${line}}`;
  };
}

function valueText(value: MetricValue | undefined): string {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "0";
  if (value === undefined || value.length === 0) return "0";
  return `[${value.map((sample) => (Number.isFinite(sample) ? sample : 0)).join(",")}]`;
}
