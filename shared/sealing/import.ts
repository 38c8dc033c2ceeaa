import { decodeLegacySecret } from "../keyring/import-legacy.ts";
import { AES_KEY_BYTES } from "../keyring/invariants.ts";

export type SessionKeyValue =
  | { readonly ok: true; readonly secret: string }
  | { readonly ok: false; readonly message: string };

/**
 * The runbook's `SESSION_ENCRYPTION_KEY` (32 bytes, base64), read from the variable `name` before
 * it is imported (`keyward keys import --keyring sessions --from-env NAME`, which makes it the
 * sessions keyring's current, legacy key). Refused with the runbook's own messages, so operators
 * recognise them; the value is never in a message.
 */
export function sessionKeyFromEnv(value: string | undefined, name: string): SessionKeyValue {
  if (value === undefined || value.trim() === "")
    return { ok: false, message: `${name} environment variable not set` };
  const secret = value.trim();
  const decoded = decodeLegacySecret(secret, "base64");
  if (!decoded.ok || decoded.bytes.length !== AES_KEY_BYTES)
    return { ok: false, message: `${name} must decode to ${AES_KEY_BYTES} bytes` };
  return { ok: true, secret };
}
