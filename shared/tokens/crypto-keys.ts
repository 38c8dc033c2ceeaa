import { type CryptoKey, importJWK, type JWK } from "jose";
import { decodeBase64url } from "../base64url.ts";
import { UsageError } from "../errors.ts";
import { type KeyRecord, publicJwk } from "../keyring/key.ts";

type Use = "sign" | "verify";

/**
 * Imported WebCrypto keys, cached per kid and use. Importing costs far more than a verification,
 * so it happens once per key per container; concurrent first uses share one import. kids are never
 * reused and a key's material never changes, so an entry stays right for the life of its kid.
 */
export class CryptoKeyCache {
  readonly #entries = new Map<string, Promise<CryptoKey>>();

  get(key: KeyRecord, use: Use): Promise<CryptoKey> {
    const id = `${use}:${key.kid}`;
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      entry = importKey(key, use);
      entry.catch(() => this.#entries.delete(id));
      this.#entries.set(id, entry);
    }
    return entry;
  }

  /** Drops the keys of kids no longer in the keyring. */
  retain(kids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) {
      if (!kids.has(id.slice(id.indexOf(":") + 1))) this.#entries.delete(id);
    }
  }

  get size(): number {
    return this.#entries.size;
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
