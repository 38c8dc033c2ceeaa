import type { Receipt } from "../../shared/receipts/receipt.ts";

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
