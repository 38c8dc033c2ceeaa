import { encodeBase64url } from "../base64url.ts";
import { newKid } from "../keyring/generate.ts";
import { decodeLegacySecret } from "../keyring/import-legacy.ts";
import { AES_KEY_BYTES } from "../keyring/invariants.ts";
import type { KeyRecord } from "../keyring/key.ts";
import type { RandomSource } from "../random.ts";

export type ImportedSessionKey =
  | { readonly ok: true; readonly key: KeyRecord }
  | { readonly ok: false; readonly message: string };

/**
 * The runbook's `SESSION_ENCRYPTION_KEY` (32 bytes, base64) as the sessions keyring's legacy key:
 * `pending` until a transition makes it current, `legacy` so that envelopes without a kid open
 * with it. Refused with the runbook's own messages, so operators recognise them; the value is
 * never in a message.
 */
export function sessionKeyFromEnv(
  value: string | undefined,
  name: string,
  now: number,
  random: RandomSource,
): ImportedSessionKey {
  if (value === undefined || value.trim() === "")
    return { ok: false, message: `${name} environment variable not set` };
  const decoded = decodeLegacySecret(value.trim(), "base64");
  if (!decoded.ok || decoded.bytes.length !== AES_KEY_BYTES)
    return { ok: false, message: `${name} must decode to ${AES_KEY_BYTES} bytes` };
  const bytes = decoded.bytes;
  return {
    ok: true,
    key: {
      kid: newKid(random),
      alg: "A256GCM",
      status: "pending",
      jwk: { kty: "oct", k: encodeBase64url(bytes) },
      createdAt: now,
      compromised: false,
      legacy: true,
    },
  };
}
