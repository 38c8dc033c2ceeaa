import type { KeywardEvent } from "../events/events.ts";
import { UsageError } from "../kernel/errors.ts";
import { redactTokens } from "../kernel/redact.ts";
import type { RevocationTarget } from "../revocation/rules.ts";
import type { RevokeOptions } from "../revocation/store.ts";

/** One line of the audit journal: who, when, what, why, result. Never a token or key material. */
export interface AuditEntry {
  /** ISO 8601. */
  readonly at: string;
  /** The operator's credential name, or the function that acted ("rotation", "local-stack"). */
  readonly actor: string;
  /** e.g. "revoke", "rotate", "rollback", "key.retired". */
  readonly action: string;
  /** What was acted on: a kid, "sub:alice", "jti:...", "claim:role=admin", "all". */
  readonly target?: string;
  readonly reason?: string;
  readonly result: "ok" | "refused" | "failed";
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface StoredAuditEntry extends AuditEntry {
  /** Increasing; the newest entry has the highest. */
  readonly seq: number;
}

export interface AuditPage {
  readonly entries: readonly StoredAuditEntry[];
  /** Pass as `before` to read the next (older) page; absent on the last page. */
  readonly next?: number;
}

/**
 * A change recorded before its first store write (the journal's outbox). Once the change is done,
 * its entry is appended, its events published and it is settled; a crash in between leaves it
 * here, and the rotation function finishes it (`shared/operations/recovery.ts`).
 */
export interface IntendedChange {
  readonly id: string;
  /** Milliseconds. */
  readonly intendedAt: number;
  /** The journal entry of the change once done; carries `details.change = id`. */
  readonly entry: AuditEntry;
  readonly events: readonly KeywardEvent[];
  readonly proof: ChangeProof;
}

/** How recovery tells a change that took effect from one a crash stopped before its write. */
export type ChangeProof =
  /** Revocations are rewritten as they were intended: with the same instant the rewrite is a no-op. */
  | {
      readonly kind: "revocations";
      readonly atMs: number;
      readonly targets: readonly RevocationTarget[];
      readonly options?: RevokeOptions;
    }
  /** A keyring change took effect if the stored key has this timestamp (set by that transition). */
  | {
      readonly kind: "key";
      readonly kid: string;
      readonly field: "createdAt" | "activatedAt" | "deactivatedAt";
      readonly atMs: number;
    }
  /** A rolling rotation's cohort took effect if the stored rollout is this key's, since then. */
  | { readonly kind: "rollout"; readonly kid: string; readonly atMs: number }
  /**
   * An emergency rotation: its rules are rewritten and, if its key never reached the keyring, the
   * emergency is run again (the operator asked for it, and its key rules may already refuse the
   * current key).
   */
  | {
      readonly kind: "emergency";
      readonly atMs: number;
      readonly targets: readonly RevocationTarget[];
      readonly key?: { readonly kid: string; readonly atMs: number };
    };

/** Newest first, paginated, capped in size (the oldest entries go first). */
export interface AuditJournal {
  append(entry: AuditEntry): Promise<StoredAuditEntry>;
  read(options?: { readonly limit?: number; readonly before?: number }): Promise<AuditPage>;
  /** Records (or replaces, by id) a change about to be written. */
  intend(change: IntendedChange): Promise<void>;
  /** The change is journaled and published. */
  settle(id: string): Promise<void>;
  /** Changes intended and never settled, oldest first. */
  unsettled(): Promise<IntendedChange[]>;
}

export const DEFAULT_AUDIT_CAPACITY = 10_000;
export const MAX_PAGE = 500;
const MAX_FIELD = 512;

/**
 * Makes an entry safe to store: token-shaped text is redacted (operations redact at their
 * boundary already; this is the last line), over-long fields are cut.
 */
export function sanitizeEntry(entry: AuditEntry): AuditEntry {
  if (
    typeof entry.actor !== "string" ||
    entry.actor === "" ||
    typeof entry.action !== "string" ||
    entry.action === ""
  ) {
    throw new UsageError("audit entries need an actor and an action");
  }
  const cut = (value: string) => redactTokens(value).slice(0, MAX_FIELD);
  return {
    at: entry.at,
    actor: cut(entry.actor),
    action: cut(entry.action),
    ...(entry.target === undefined ? {} : { target: cut(entry.target) }),
    ...(entry.reason === undefined ? {} : { reason: cut(entry.reason) }),
    result: entry.result,
    ...(entry.details === undefined
      ? {}
      : {
          details: Object.fromEntries(
            Object.entries(entry.details).map(([name, value]) => [
              name,
              typeof value === "string" ? cut(value) : value,
            ]),
          ),
        }),
  };
}

export function pageLimit(limit: number | undefined): number {
  const value = limit ?? 50;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) {
    throw new UsageError(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  }
  return value;
}
