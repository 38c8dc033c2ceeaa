/**
 * Randomness for kids, HMAC material and `jti`s. Injected so tests are reproducible; production
 * uses the platform's CSPRNG (WebCrypto, available in Node, Lambda and Workers alike).
 * Asymmetric key pairs come from WebCrypto's own generator, which cannot be injected.
 */
export interface RandomSource {
  bytes(length: number): Uint8Array;
}

export const cryptoRandom: RandomSource = {
  bytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
};
