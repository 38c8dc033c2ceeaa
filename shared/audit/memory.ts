import {
  type AuditEntry,
  type AuditJournal,
  type AuditPage,
  DEFAULT_AUDIT_CAPACITY,
  type IntendedChange,
  pageLimit,
  type StoredAuditEntry,
  sanitizeEntry,
} from "./journal.ts";

/** The audit journal in process memory (local stack, unit tests). */
export class MemoryAuditJournal implements AuditJournal {
  readonly #entries: StoredAuditEntry[] = [];
  readonly #intended = new Map<string, IntendedChange>();
  #seq = 0;

  constructor(private readonly capacity = DEFAULT_AUDIT_CAPACITY) {}

  async append(entry: AuditEntry): Promise<StoredAuditEntry> {
    const stored = { ...sanitizeEntry(entry), seq: ++this.#seq };
    this.#entries.push(stored);
    if (this.#entries.length > this.capacity)
      this.#entries.splice(0, this.#entries.length - this.capacity);
    return stored;
  }

  async read(options: { limit?: number; before?: number } = {}): Promise<AuditPage> {
    const limit = pageLimit(options.limit);
    const before = options.before ?? Number.POSITIVE_INFINITY;
    const older = this.#entries.filter((e) => e.seq < before).reverse();
    const entries = older.slice(0, limit);
    const last = entries.at(-1);
    return older.length > limit && last !== undefined ? { entries, next: last.seq } : { entries };
  }

  async intend(change: IntendedChange): Promise<void> {
    this.#intended.set(change.id, structuredClone(change));
  }

  async settle(id: string): Promise<void> {
    this.#intended.delete(id);
  }

  async unsettled(): Promise<IntendedChange[]> {
    return [...this.#intended.values()]
      .sort((a, b) => a.intendedAt - b.intendedAt)
      .map((change) => structuredClone(change));
  }
}
