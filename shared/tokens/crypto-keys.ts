import { type CryptoKey, importJWK, type JWK } from "jose";
import { decodeBase64url } from "../kernel/base64url.ts";
import { UsageError } from "../kernel/errors.ts";
import { type KeyRecord, publicJwk } from "../keyring/key.ts";

type Use = "sign" | "verify";

/**
 * Imported WebCrypto keys, cached per kid and use. Importing costs far more than a verification,
 * so it happens once per key per container; concurrent first uses share one import. kids are never
 * reused and a key's material never changes, so an entry stays right for the life of its kid.
 */
export class CryptoKeyCache {
  readonly #pending = {
    sign: new Map<string, Promise<CryptoKey>>(),
    verify: new Map<string, Promise<CryptoKey>>(),
  };
  readonly #ready = { sign: new Map<string, CryptoKey>(), verify: new Map<string, CryptoKey>() };

  /** The key if it is already imported: the hot path, with no promise to wait on. */
  ready(key: KeyRecord, use: Use): CryptoKey | undefined {
    return this.#ready[use].get(key.kid);
  }

  get(key: KeyRecord, use: Use): Promise<CryptoKey> {
    const pending = this.#pending[use];
    let entry = pending.get(key.kid);
    if (entry === undefined) {
      entry = importKey(key, use).then(
        (imported) => {
          this.#ready[use].set(key.kid, imported);
          return imported;
        },
        (error: unknown) => {
          pending.delete(key.kid);
          throw error;
        },
      );
      pending.set(key.kid, entry);
    }
    return entry;
  }

  /** Drops the keys of kids no longer in the keyring. */
  retain(kids: ReadonlySet<string>): void {
    for (const maps of [this.#pending, this.#ready]) {
      for (const map of [maps.sign, maps.verify]) {
        for (const kid of map.keys()) if (!kids.has(kid)) map.delete(kid);
      }
    }
  }

  get size(): number {
    return this.#pending.sign.size + this.#pending.verify.size;
  }
}

async function importKey(key: KeyRecord, use: Use): Promise<CryptoKey> {
  if (key.jwk === undefined) throw new UsageError(`key ${key.kid} has no material`);
  if (key.alg === "HS256") {
    const secret = decodeBase64url(key.jwk.k);
    if (secret === undefined) throw new UsageError(`key ${key.kid} has no HMAC material`);
    return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, [use]);
  }
  let jwk: JWK | undefined = key.jwk;
  if (use === "verify") jwk = publicJwk(key);
  else if (key.jwk.d === undefined)
    throw new UsageError(`key ${key.kid} holds no private material`);
  const { use: _, key_ops: __, ...bare } = jwk ?? {};
  const imported = await importJWK(bare, key.alg);
  if (imported instanceof Uint8Array) throw new UsageError(`key ${key.kid} is not asymmetric`);
  return imported;
}
