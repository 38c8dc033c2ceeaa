/**
 * Successful verifications, keyed by the token string, so a token seen again skips the signature
 * check. Bounded (the oldest entry goes first), an entry never outlives the token's `exp`, and the
 * owner clears it whenever the keyring's verifying keys change. It caches signature and claims
 * only: the revocation check runs on every request, after this cache.
 *
 * Admission: a token enters the cache on its second successful verification. The first only
 * leaves a 32-bit fingerprint of its signature in a fixed typed array. Why: caching every
 * first-seen token keeps each entry alive long enough for V8 to promote it to the old generation,
 * where it then dies; under traffic of mostly new tokens that garbage costs a third of the
 * verification throughput (docs/benchmarks.md). Tokens that do repeat are cached from their
 * third use on; a fingerprint collision only admits a token one use early.
 *
 * Entries are found by 30 bits of that fingerprint (a number V8 keeps unboxed), and the token
 * compared in full: a request's token is a new string every time (parsed from its event or
 * header), and a map keyed by the string would hash all of it on every lookup, which cost more
 * than the rest of a repeated token's check. Two live tokens with one slot key share it: the later
 * one verified takes it, and the other is verified in full, as any token not cached.
 */
export class VerifiedTokenCache<T> {
  readonly #entries = new Map<
    number,
    { readonly token: string; readonly value: T; readonly expiresAtMs: number }
  >();
  readonly #maxEntries: number;
  readonly #seen: Uint32Array;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
    this.#seen = new Uint32Array(maxEntries === 0 ? 0 : Math.max(1024, maxEntries * 2));
  }

  get(token: string, nowMs: number): T | undefined {
    if (this.#entries.size === 0) return undefined;
    const slot = fingerprintOf(token) >>> 2;
    const entry = this.#entries.get(slot);
    if (entry === undefined || entry.token !== token) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.#entries.delete(slot);
      return undefined;
    }
    return entry.value;
  }

  /** Records a successful verification; caches it if the token was verified before. */
  set(token: string, value: T, expiresAtMs: number): void {
    if (this.#maxEntries === 0) return;
    const fingerprint = fingerprintOf(token);
    if (!this.#seenBefore(fingerprint)) return;
    const slot = fingerprint >>> 2;
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(slot)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(slot, { token, value, expiresAtMs });
  }

  clear(): void {
    this.#entries.clear();
    this.#seen.fill(0);
  }

  get size(): number {
    return this.#entries.size;
  }

  #seenBefore(fingerprint: number): boolean {
    const slot = fingerprint % this.#seen.length;
    if (this.#seen[slot] === fingerprint) return true;
    this.#seen[slot] = fingerprint;
    return false;
  }
}

/** FNV-1a over the last 16 characters: the end of the signature, random for every token. */
function fingerprintOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 16); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash === 0 ? 1 : hash;
}
