/**
 * Successful verifications, keyed by the token string, so a token seen again skips the signature
 * check. Bounded (the oldest entry goes first), an entry never outlives the token's `exp`, and the
 * owner clears it whenever the keyring's verifying keys change. It caches signature and claims
 * only: the revocation check runs on every request, after this cache.
 */
export class VerifiedTokenCache<T> {
  readonly #entries = new Map<string, { readonly value: T; readonly expiresAtMs: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, nowMs: number): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAtMs: number): void {
    if (this.#maxEntries === 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { value, expiresAtMs });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
