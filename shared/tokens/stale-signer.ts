import type { KeyRecord } from "../keyring/key.ts";
import { earliestIssuanceMs } from "./issuance.ts";

/**
 * Whether a verified token proves that some signer did not follow a rotation: it was issued later
 * than its key stopped signing plus `followMs` (the time every signer's keyring cache takes to see
 * the change). For the imported legacy key, a token in the legacy shape (no `kid`: keyward never
 * issues one) issued after the import plus `followMs` means the login service still signs with
 * the old secret. Tokens without `iat` prove nothing.
 */
export function signedByStaleSigner(
  key: KeyRecord,
  claims: Readonly<Record<string, unknown>>,
  legacyShape: boolean,
  followMs: number,
): boolean {
  const legacySigner = legacyShape && key.legacy;
  // Most tokens are verified by the current key: decided without reading their issuance.
  if (!legacySigner && key.status !== "previous") return false;
  const issued = earliestIssuanceMs(claims);
  if (!Number.isFinite(issued)) return false;
  if (legacySigner) return issued > key.createdAt + followMs;
  return issued > (key.deactivatedAt ?? Number.POSITIVE_INFINITY) + followMs;
}
