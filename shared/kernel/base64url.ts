import { base64url } from "jose";

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes unpadded base64url; `undefined` for anything else instead of throwing. */
export function decodeBase64url(value: unknown): Uint8Array | undefined {
  if (typeof value !== "string" || !BASE64URL.test(value) || value.length % 4 === 1) {
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
