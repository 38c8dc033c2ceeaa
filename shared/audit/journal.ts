import { UsageError } from "../errors.ts";

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

/** Newest first, paginated, capped in size (the oldest entries go first). */
export interface AuditJournal {
  append(entry: AuditEntry): Promise<StoredAuditEntry>;
  read(options?: { readonly limit?: number; readonly before?: number }): Promise<AuditPage>;
}

export const DEFAULT_AUDIT_CAPACITY = 10_000;
export const MAX_PAGE = 500;
const MAX_FIELD = 512;
/** A compact JWS or JWE anywhere in a string. */
const TOKEN_PATTERN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;

/**
 * Checks an entry before it is stored. A token in an audit entry is a bug in the caller, so it
 * throws rather than storing it; over-long fields are cut.
 */
export function sanitizeEntry(entry: AuditEntry): AuditEntry {
  const fields: [string, unknown][] = [
    ["actor", entry.actor],
    ["action", entry.action],
    ["target", entry.target],
    ["reason", entry.reason],
    ...Object.entries(entry.details ?? {}),
  ];
  for (const [name, value] of fields) {
    if (typeof value === "string" && TOKEN_PATTERN.test(value)) {
      throw new UsageError(`audit field ${name} holds a token; journal entries never do`);
    }
  }
  if (
    typeof entry.actor !== "string" ||
    entry.actor === "" ||
    typeof entry.action !== "string" ||
    entry.action === ""
  ) {
    throw new UsageError("audit entries need an actor and an action");
  }
  const cut = (value: string | undefined) =>
    value === undefined ? undefined : value.slice(0, MAX_FIELD);
  const target = cut(entry.target);
  const reason = cut(entry.reason);
  return {
    at: entry.at,
    actor: entry.actor.slice(0, MAX_FIELD),
    action: entry.action.slice(0, MAX_FIELD),
    ...(target === undefined ? {} : { target }),
    ...(reason === undefined ? {} : { reason }),
    result: entry.result,
    ...(entry.details === undefined ? {} : { details: entry.details }),
  };
}

export function pageLimit(limit: number | undefined): number {
  const value = limit ?? 50;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) {
    throw new UsageError(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  }
  return value;
}
