import type { TokenClaims } from "../tokens/claims.ts";
import type { KeyConsumer } from "./counts.ts";

/** Counted for a token that names no party: no `azp`, `client_id` or `aud`. */
export const UNNAMED_CONSUMER = "(unnamed)";

/** Counted for the consumers of a key beyond `MAX_CONSUMERS_PER_KEY` in one flush. */
export const OTHER_CONSUMERS = "(others)";

/** Distinct consumers a verifier counts per key between two flushes; the rest as `(others)`. */
export const MAX_CONSUMERS_PER_KEY = 100;

const MAX_CONSUMER_LENGTH = 64;

/**
 * Who a verified token was issued for, as the impact preview counts it: its authorized party
 * (`azp`, which keyward's issuing endpoint sets to the client's name), else `client_id`, else its
 * (first) audience. Read per request, so only picked here; `consumerLabel` cleans it at the flush.
 */
export function consumerOf(claims: TokenClaims): string {
  const azp = claims.azp;
  if (typeof azp === "string") return azp;
  const clientId = claims.client_id;
  if (typeof clientId === "string") return clientId;
  const aud = claims.aud;
  if (typeof aud === "string") return aud;
  if (Array.isArray(aud) && typeof aud[0] === "string") return aud[0];
  return UNNAMED_CONSUMER;
}

/**
 * A consumer as stored and shown: printable ASCII only (a claim may hold terminal escapes or
 * separators), at most 64 characters, never empty.
 */
export function consumerLabel(raw: string): string {
  const printable = raw.replace(/[^\x21-\x7e ]/g, "?").trim();
  if (printable.length === 0) return UNNAMED_CONSUMER;
  return printable.length <= MAX_CONSUMER_LENGTH
    ? printable
    : `${printable.slice(0, MAX_CONSUMER_LENGTH - 3)}...`;
}

/** A stored count's field: the key, the verifier kind and the consumer, tab-separated (none holds a tab). */
export function consumerField(kid: string, verifier: string | undefined, consumer: string): string {
  return `${kid}\t${verifier ?? "unknown"}\t${consumer}`;
}

/**
 * The consumers of `kid` in stored hours (field → count, as `consumerField` wrote them), added up
 * across the hours, most verifications first.
 */
export function consumersOfKid(
  hours: Iterable<Iterable<readonly [string, unknown]>>,
  kid: string,
): KeyConsumer[] {
  const totals = new Map<string, KeyConsumer>();
  const prefix = `${kid}\t`;
  for (const hour of hours)
    for (const [field, n] of hour) {
      const count = Number(n);
      if (!field.startsWith(prefix) || !Number.isFinite(count) || count <= 0) continue;
      const [, verifier = "unknown", consumer = UNNAMED_CONSUMER] = field.split("\t");
      const at = `${verifier}\t${consumer}`;
      const sum = (totals.get(at)?.verifications ?? 0) + count;
      totals.set(at, { consumer, verifier, verifications: sum });
    }
  return [...totals.values()].sort(
    (a, b) =>
      b.verifications - a.verifications ||
      a.consumer.localeCompare(b.consumer) ||
      a.verifier.localeCompare(b.verifier),
  );
}
