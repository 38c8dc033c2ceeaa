import type { Receipt } from "../../shared/receipts/receipt.ts";
import type { ReceiptReader } from "../../shared/receipts/store.ts";

/** A receipt as an authorizer holding `kids` would write it. */
export function receiptOf(instance: string, at: number, overrides: Partial<Receipt> = {}): Receipt {
  return {
    instance,
    kind: "authorizer",
    region: "eu-west-1",
    version: "0.1.0",
    keyring: "signing",
    revision: 3,
    keys: [{ kid: "k1", status: "current" }],
    position: undefined,
    lag: undefined,
    at,
    ...overrides,
  };
}

/**
 * The live receipts once the write that runs beside a request has landed: polled every 50 ms
 * (real time) for at most `tries` reads, and answered as they are then.
 */
export async function receiptsOnceWritten(reader: ReceiptReader, tries: number) {
  let live = await reader.live(Date.now());
  for (let i = 0; i < tries && live.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    live = await reader.live(Date.now());
  }
  return live;
}
