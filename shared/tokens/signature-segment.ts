/**
 * A compact JWS's signature, the segment after its `second` dot, decoded by the runtime's own
 * `decode`; undefined when it does not decode, which the direct checks answer as `malformed`
 * (jose's decision) before any key is used.
 */
export function signatureOf(
  token: string,
  second: number,
  decode: (segment: string) => Uint8Array,
): Uint8Array | undefined {
  try {
    return decode(token.slice(second + 1));
  } catch {
    return undefined;
  }
}
