import { decodeBase64url, encodeBase64url } from "../kernel/base64url.ts";
import { KID_PATTERN } from "../keyring/key.ts";

/** AES-GCM's 96-bit IV and 128-bit tag. */
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const VERSION = "v1";
/**
 * The longest envelope opened by default, in characters: far beyond a cookie (4 KiB) or a
 * session row; anything longer is refused before any decoding, so a huge input costs nothing.
 */
export const DEFAULT_MAX_ENVELOPE_LENGTH = 64 * 1024;
/** The bounds `maxEnvelopeLength` may be set within. */
export const ENVELOPE_LENGTH_RANGE = { min: 1024, max: 1024 * 1024 } as const;

/**
 * A sealed value: `v1.<kid>.<iv>.<ciphertext‖tag>`, each part base64url without padding. The kid
 * says which key opens it; the IV is 96 random bits, fresh for every seal.
 */
export interface Envelope {
  readonly kid: string;
  readonly iv: Uint8Array;
  /** Ciphertext followed by the 16-byte tag, as WebCrypto and `cryptography`'s AESGCM take it. */
  readonly sealed: Uint8Array;
}

export function formatEnvelope(envelope: Envelope): string {
  return `${VERSION}.${envelope.kid}.${encodeBase64url(envelope.iv)}.${encodeBase64url(envelope.sealed)}`;
}

/** Reads a v1 envelope of at most `maxLength` characters; `undefined` for anything else (never throws). */
export function parseEnvelope(
  text: unknown,
  maxLength = DEFAULT_MAX_ENVELOPE_LENGTH,
): Envelope | undefined {
  if (typeof text !== "string" || text.length > maxLength) return undefined;
  const parts = text.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
  const [, kid, ivText, sealedText] = parts as [string, string, string, string];
  if (!KID_PATTERN.test(kid)) return undefined;
  const iv = decodeBase64url(ivText);
  const sealed = decodeBase64url(sealedText);
  if (iv?.length !== IV_BYTES || sealed === undefined || sealed.length < TAG_BYTES)
    return undefined;
  return { kid, iv, sealed };
}

/**
 * How envelopes sealed before keyward look (the runbook's services: no kid, one key): by default
 * base64 of IV ‖ ciphertext ‖ tag, with a 12-byte IV. They open with the imported legacy key while
 * it is current or previous, and are re-sealed in the v1 layout.
 */
export interface LegacyLayout {
  readonly encoding: "base64" | "base64url";
  readonly ivBytes: number;
}

export const DEFAULT_LEGACY_LAYOUT: LegacyLayout = { encoding: "base64", ivBytes: IV_BYTES };

/** What is wrong with a legacy layout, each problem named (checked when a sealer is made). */
export function legacyLayoutProblems(layout: LegacyLayout): string[] {
  const problems: string[] = [];
  if (layout?.encoding !== "base64" && layout?.encoding !== "base64url")
    problems.push("legacy.encoding must be base64 or base64url");
  // What AES-GCM in Node accepts: an IV it cannot use would make every legacy envelope "tampered".
  if (!(Number.isInteger(layout?.ivBytes) && layout.ivBytes >= 1 && layout.ivBytes <= 255))
    problems.push(
      "legacy.ivBytes must be a whole number of bytes from 1 to 255 (12 is AES-GCM's own)",
    );
  return problems;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads a legacy envelope in `layout` of at most `maxLength` characters; `undefined` when it is not one. */
export function parseLegacy(
  text: unknown,
  layout: LegacyLayout,
  maxLength = DEFAULT_MAX_ENVELOPE_LENGTH,
): { iv: Uint8Array; sealed: Uint8Array } | undefined {
  if (typeof text !== "string" || text.length > maxLength || text.startsWith(`${VERSION}.`))
    return undefined;
  let bytes: Uint8Array | undefined;
  if (layout.encoding === "base64url") bytes = decodeBase64url(text);
  // Checked first, then decoded in one native call (never an array built character by character).
  else if (BASE64.test(text) && text.length % 4 === 0)
    bytes = new Uint8Array(Buffer.from(text, "base64"));
  if (bytes === undefined || bytes.length < layout.ivBytes + TAG_BYTES) return undefined;
  return { iv: bytes.subarray(0, layout.ivBytes), sealed: bytes.subarray(layout.ivBytes) };
}
