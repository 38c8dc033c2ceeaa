import { encodeBase64url } from "../kernel/base64url.ts";
import { MINUTE } from "../kernel/clock.ts";
import type { RandomSource } from "../kernel/random.ts";
import { KEY_STATUSES, type KeyStatus } from "../keyring/key.ts";
import type { RevocationLag } from "../revocation/lag.ts";

/** What kind of instance wrote a receipt. */
export const INSTANCE_KINDS = ["authorizer", "edge", "sessions", "local", "issuer"] as const;
export type InstanceKind = (typeof INSTANCE_KINDS)[number];

/**
 * Whether an instance verifies (its receipt counts for a pending key's activation and an
 * emergency's reach): every kind but an issuer, which only signs with what it holds.
 */
export const verifies = (receipt: Pick<Receipt, "kind">): boolean => receipt.kind !== "issuer";

/** An instance drops out of the live ones this long after its last receipt. */
export const DEFAULT_RECEIPT_WINDOW_MS = 5 * MINUTE;

/** Instances (or JWKS consumers) named in one event or journal entry, at most: it says how many in all. */
export const NAMED_AT_MOST = 20;

/**
 * What one verifying instance said it held, at most once a minute with its usage counts: the
 * keyring's revision and the kids it verifies with (and their status), where its revocation
 * mirror stands in the change log, and how late the log's entries reached it.
 */
export interface Receipt {
  /** Random, made when the instance starts: a Lambda container, an isolate, a process. */
  readonly instance: string;
  readonly kind: InstanceKind;
  /** AWS region, the edge's colo, or `local`. */
  readonly region: string;
  readonly version: string;
  /** `signing` or `sessions`. */
  readonly keyring: string;
  /** Undefined while the instance holds no keyring (it refuses every token meanwhile). */
  readonly revision: number | undefined;
  /** The keys it verifies with (pending, current, previous), with their status. */
  readonly keys: readonly { readonly kid: string; readonly status: KeyStatus }[];
  /** The change-log entry the mirror applied last; undefined without a mirror (or before its first read). */
  readonly position: string | undefined;
  /** Undefined when no entry was applied since the last receipt. */
  readonly lag: RevocationLag | undefined;
  /** When it was written, on the instance's clock (milliseconds). */
  readonly at: number;
}

/** A new instance id: 96 random bits, base64url. */
export function newInstanceId(random: RandomSource): string {
  return encodeBase64url(random.bytes(12));
}

/** The latest instant a `Date` holds (ECMAScript's time range). */
const MAX_DATE_MS = 8.64e15;

// Checks of a stored record's fields (a receipt, a JWKS consumer): what does not pass is left out.
export const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;
export const isText = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max;
/** A time a `Date` can hold: operators read it as one. */
export const isInstant = (value: unknown): value is number =>
  isCount(value) && value <= MAX_DATE_MS;

/**
 * A stored receipt, checked field by field: anything that does not read as one (written by
 * another version, cut short, tampered with) is left out rather than trusted.
 */
export function parseReceipt(text: string): Receipt | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const { instance, kind, region, version, keyring, revision, keys, position, lag, at } = raw;
  if (!isText(instance, 64) || !INSTANCE_KINDS.includes(kind as InstanceKind)) return undefined;
  if (!isText(region, 64) || !isText(version, 64) || !isText(keyring, 64)) return undefined;
  if (revision !== undefined && !isCount(revision)) return undefined;
  if (position !== undefined && !isText(position, 64)) return undefined;
  if (!isInstant(at) || !Array.isArray(keys) || keys.length > 64) return undefined;
  const held: { kid: string; status: KeyStatus }[] = [];
  for (const key of keys) {
    if (typeof key !== "object" || key === null) return undefined;
    const { kid, status } = key as Record<string, unknown>;
    if (!isText(kid, 64) || !KEY_STATUSES.includes(status as KeyStatus)) return undefined;
    held.push({ kid, status: status as KeyStatus });
  }
  let measured: RevocationLag | undefined;
  if (lag !== undefined) {
    if (typeof lag !== "object" || lag === null) return undefined;
    const { applied, p50Ms, p99Ms, maxMs } = lag as Record<string, unknown>;
    if (!isCount(applied) || !isCount(p50Ms) || !isCount(p99Ms) || !isCount(maxMs))
      return undefined;
    measured = { applied, p50Ms, p99Ms, maxMs };
  }
  return {
    instance,
    kind: kind as InstanceKind,
    region,
    version,
    keyring,
    revision,
    keys: held,
    position,
    lag: measured,
    at,
  };
}
