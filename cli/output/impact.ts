import type { ImpactResponse } from "../../functions/ops-api/wire.ts";
import { oneLine } from "./terminal-text.ts";

const count = (n: number) => n.toLocaleString("en-US");

/**
 * "If K (previous) retired now, 1,200 verifications of the last day would be refused (12 %): …",
 * then a line per consumer and verifier kind. Every value from the API is made one line.
 */
export function impactText(impact: ImpactResponse): string {
  const kid = oneLine(impact.kid);
  const share =
    impact.share === null ? "" : ` (${Math.round(impact.share * 1000) / 10} % of the keyring's)`;
  const when =
    impact.next?.action === "retire"
      ? `; the policy retires it from ${oneLine(impact.next.earliest)}${impact.next.latest === undefined ? "" : ` to ${oneLine(impact.next.latest)} at the latest`}`
      : "";
  if (impact.verifications === 0)
    return `${kid} (${oneLine(impact.status)}): no verification in the last day; retiring it now would refuse no token a verifier saw${when}`;
  const head = `${kid} (${oneLine(impact.status)}): retiring it now would refuse tokens of ${count(impact.verifications)} verifications of the last day${share}${when}`;
  const rows = impact.consumers.map(
    (c) =>
      `  ${oneLine(c.consumer).padEnd(24)} ${oneLine(c.verifier).padEnd(10)} ${count(c.verifications).padStart(12)}`,
  );
  return [head, ...rows].join("\n");
}
