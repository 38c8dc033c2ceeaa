import { encodeBase64url, sextetOf } from "../kernel/base64url.ts";
import type { RandomSource } from "../kernel/random.ts";

/**
 * The issuance instant of a token at millisecond resolution, carried in its `jti` so that standard
 * JWT libraries see nothing new: the `jti` is 16 bytes in base64url (22 characters), the first 6
 * bytes the issuance time in milliseconds (big-endian, as in UUIDv7), the other 10 random (80 bits,
 * for uniqueness within a millisecond). JWT's `iat` is whole seconds, too coarse for a cut-off
 * followed at once by a new login (a password change, "log out everywhere").
 */
const JTI_BYTES = 16;
const TIME_BYTES = 6;

export function timeOrderedJti(nowMs: number, random: RandomSource): string {
  const bytes = new Uint8Array(JTI_BYTES);
  let time = Math.floor(nowMs);
  for (let i = TIME_BYTES - 1; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes.set(random.bytes(JTI_BYTES - TIME_BYTES), TIME_BYTES);
  return encodeBase64url(bytes);
}

/**
 * The earliest instant, in milliseconds, at which a token may have been issued: what cut-offs are
 * compared with. Exact for tokens keyward issued (the `jti`'s instant, trusted only when it falls
 * within the token's `iat` second, so a random `jti` of an older token or of a legacy system never
 * passes for one); the start of the `iat` second for other tokens (deny on doubt: the token may
 * have been issued anywhere in that second); minus infinity without `iat`, so any cut-off applies.
 */
export function earliestIssuanceMs(claims: {
  readonly iat?: unknown;
  readonly jti?: unknown;
}): number {
  const { iat, jti } = claims;
  if (typeof iat !== "number" || !Number.isFinite(iat)) return Number.NEGATIVE_INFINITY;
  const second = Math.floor(iat);
  const exact = jtiInstantMs(jti);
  if (exact !== undefined && Math.floor(exact / 1000) === second) return exact;
  return second * 1000;
}

/**
 * The instant in a time-ordered `jti`: its first 8 characters are the first 6 bytes (48 bits),
 * read as they come, every character checked to be base64url (what decoding the whole `jti`
 * would check, without making its 16 bytes: this runs on every verified request).
 */
function jtiInstantMs(jti: unknown): number | undefined {
  if (typeof jti !== "string" || jti.length !== 22) return undefined;
  let time = 0;
  for (let i = 0; i < 22; i++) {
    const sextet = sextetOf(jti.charCodeAt(i));
    if (sextet < 0) return undefined;
    if (i < (TIME_BYTES * 8) / 6) time = time * 64 + sextet;
  }
  return time;
}
