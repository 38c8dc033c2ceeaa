import type { VerifiersResponse } from "../../functions/ops-api/wire.ts";
import { consumerText } from "../../shared/receipts/jwks-consumer.ts";
import type { PendingReach } from "../../shared/receipts/reach.ts";
import { oneLine } from "./terminal-text.ts";

/**
 * The live verifiers, one line each (kind, region, instance, version, keyring revision, the kids
 * it holds, its mirror's lag), then each pending key's reach: "held by 3 of 4 live verifiers".
 * Every value from the API is made one line, so a planted escape sequence cannot forge output.
 */
export function verifiersText(body: VerifiersResponse): string {
  const lines = body.verifiers.map((v) => {
    const keys = v.keys.map((k) => `${oneLine(k.kid)} (${oneLine(k.status)})`).join(", ");
    const lag =
      v.lag === undefined
        ? ""
        : `  revocations reached it in ${v.lag.p50Ms} ms (p50), ${v.lag.p99Ms} ms (p99), ${v.lag.maxMs} ms at most, ${v.lag.applied} applied`;
    const seen = new Date(v.at).toISOString();
    return `${oneLine(v.kind)} ${oneLine(v.region)} ${oneLine(v.instance)}  ${oneLine(v.version)}  ${oneLine(v.keyring)} revision ${v.revision ?? "none"}: ${keys || "no keys"}  last seen ${seen}${lag}`;
  });
  if (lines.length === 0)
    lines.push(`(no verifier reported in the last ${body.windowSeconds / 60} minutes)`);
  for (const consumer of body.jwksConsumers ?? []) lines.push(oneLine(consumerText(consumer)));
  for (const reach of body.pending) lines.push(pendingReachText(reach));
  return lines.join("\n");
}

/** "pending K (signing): held by 3 of 4 live verifiers; not yet: <who>, <who>". */
export function pendingReachText(reach: PendingReach): string {
  const missing =
    reach.laggards.length === 0 ? "" : `; not yet: ${reach.laggards.map(oneLine).join(", ")}`;
  return `pending ${oneLine(reach.kid)} (${oneLine(reach.keyring)}): held by ${reach.held} of ${reach.live} live verifiers${missing}`;
}
