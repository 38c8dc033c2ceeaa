import { DEFAULT_RECEIPT_WINDOW_MS, type Receipt } from "./receipt.ts";

/** Where the live instances' receipts are read. */
export interface ReceiptReader {
  /** Receipts of instances heard from within the window, the latest of each, by kind and region. */
  live(nowMs: number): Promise<readonly Receipt[]>;
}

/** Live receipts in a fixed order: by kind, region, then instance. */
export function ordered(receipts: Iterable<Receipt>): Receipt[] {
  return [...receipts].sort(
    (a, b) =>
      a.kind.localeCompare(b.kind) ||
      a.region.localeCompare(b.region) ||
      a.instance.localeCompare(b.instance),
  );
}

/** Receipts kept in process memory (the local stack, tests), each dropped after the window. */
export class MemoryReceipts implements ReceiptReader {
  readonly #latest = new Map<string, { readonly receipt: Receipt; readonly heardAt: number }>();

  constructor(private readonly windowMs = DEFAULT_RECEIPT_WINDOW_MS) {}

  record(receipt: Receipt, nowMs: number): void {
    this.#latest.set(receipt.instance, { receipt, heardAt: nowMs });
  }

  async live(nowMs: number): Promise<readonly Receipt[]> {
    for (const [instance, { heardAt }] of this.#latest)
      if (nowMs - heardAt >= this.windowMs) this.#latest.delete(instance);
    return ordered([...this.#latest.values()].map(({ receipt }) => receipt));
  }
}
