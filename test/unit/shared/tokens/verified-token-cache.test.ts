import { describe, expect, it } from "vitest";
import { VerifiedTokenCache } from "../../../../shared/tokens/verified-token-cache.ts";

// Token-shaped strings; the cache only reads them as strings.
const token = (head: string, signature = "S".repeat(43)) => `${head}.payload.${signature}`;

describe("VerifiedTokenCache", () => {
  it("caches a token from its second successful verification on", () => {
    const cache = new VerifiedTokenCache<string>(10);
    const a = token("a");
    cache.set(a, "first", 1_000);
    expect(cache.get(a, 0)).toBeUndefined();
    cache.set(a, "second", 1_000);
    expect(cache.get(a, 0)).toBe("second");
    // A copy of the string, as every request carries: found by content, not identity.
    expect(cache.get(`${a} `.trim(), 0)).toBe("second");
  });

  it("never answers past the token's expiry", () => {
    const cache = new VerifiedTokenCache<string>(10);
    const a = token("a");
    cache.set(a, "v", 1_000);
    cache.set(a, "v", 1_000);
    expect(cache.get(a, 999)).toBe("v");
    expect(cache.get(a, 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("answers a token only with its own entry, even when another shares its fingerprint", () => {
    // The fingerprint reads the signature's end: these two tokens have the same one.
    const cache = new VerifiedTokenCache<string>(10);
    const a = token("a");
    const b = token("b");
    cache.set(a, "a's claims", 1_000);
    cache.set(a, "a's claims", 1_000);
    expect(cache.get(b, 0)).toBeUndefined();
    // b verified twice takes the slot; a is then verified in full again, never given b's claims.
    cache.set(b, "b's claims", 1_000);
    expect(cache.get(b, 0)).toBe("b's claims");
    expect(cache.get(a, 0)).toBeUndefined();
  });

  it("keeps at most its bound, the oldest entry going first", () => {
    const cache = new VerifiedTokenCache<number>(2);
    const tokens = [1, 2, 3].map((i) => token("t", `${i}`.repeat(43)));
    for (const [i, t] of tokens.entries()) {
      cache.set(t, i, 1_000);
      cache.set(t, i, 1_000);
    }
    expect(cache.size).toBe(2);
    expect(tokens.map((t) => cache.get(t, 0))).toEqual([undefined, 1, 2]);
  });

  it("forgets everything on clear, admissions included", () => {
    const cache = new VerifiedTokenCache<string>(10);
    const a = token("a");
    cache.set(a, "v", 1_000);
    cache.set(a, "v", 1_000);
    cache.clear();
    expect(cache.get(a, 0)).toBeUndefined();
    cache.set(a, "v", 1_000);
    expect(cache.get(a, 0)).toBeUndefined();
  });

  it("caches nothing with a bound of 0", () => {
    const cache = new VerifiedTokenCache<string>(0);
    const a = token("a");
    cache.set(a, "v", 1_000);
    cache.set(a, "v", 1_000);
    expect(cache.get(a, 0)).toBeUndefined();
  });
});
