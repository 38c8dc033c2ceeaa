import { base64url } from "jose";

/** Text of the base64url alphabet alone (no padding), empty included. */
export const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/** Each base64url character's 6 bits, by character code; -1 for a character outside the alphabet. */
const SEXTETS = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** The 6 bits a base64url character (by `charCodeAt`) stands for; -1 for any other character. */
export function sextetOf(code: number): number {
  return code < 128 ? (SEXTETS[code] as number) : -1;
}

/** Decodes unpadded base64url; `undefined` for anything else instead of throwing. */
export function decodeBase64url(value: unknown): Uint8Array | undefined {
  if (typeof value !== "string" || !BASE64URL_TEXT.test(value) || value.length % 4 === 1) {
    return undefined;
  }
  try {
    return base64url.decode(value);
  } catch {
    return undefined;
  }
}

export function encodeBase64url(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}
