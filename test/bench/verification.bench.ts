import { createHmac, createPublicKey, verify as nodeVerify, timingSafeEqual } from "node:crypto";
import { type CryptoKey, jwtVerify } from "jose";
import { decodeBase64url } from "../../shared/base64url.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Algorithm } from "../../shared/keyring/key.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { cryptoRandom } from "../../shared/random.ts";
import { CryptoKeyCache } from "../../shared/tokens/crypto-keys.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { compareThroughput, type Figure, figure } from "./harness.ts";

/** More distinct tokens than the verified-token cache holds, so cycling through them always misses. */
const DISTINCT_TOKENS = 20_000;
const CACHE_SIZE = 10_000;

/**
 * Warm verification throughput. First-seen tokens: keyward against `jose.jwtVerify` with the same
 * CryptoKey. A repeated token: keyward (served by its verified-token cache) against a bare
 * node:crypto check (signature, constant-time compare, JSON parse, exp).
 */
export async function verificationBenchmarks(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const alg of ["HS256", "ES256"] as const) figures.push(...(await benchAlgorithm(alg)));
  return figures;
}

async function benchAlgorithm(alg: Algorithm): Promise<Figure[]> {
  const now = Date.now();
  const keyring = createKeyring(await generateKey(alg, now, cryptoRandom), now);
  const key = keyring.keys[0]!;
  const signer = createSigner();
  const tokens: string[] = [];
  for (let i = 0; i < DISTINCT_TOKENS; i++)
    tokens.push(await signer.sign(keyring, { sub: `user-${i}` }, now));
  const cryptoKey: CryptoKey = await new CryptoKeyCache().get(key, "verify");
  const verifier = createVerifier({ cacheSize: CACHE_SIZE });

  let next = 0;
  const nextToken = () => tokens[next++ % DISTINCT_TOKENS]!;
  const lower = alg.toLowerCase();
  const firstSeen = await compareThroughput({
    keyward: async () => {
      if (!(await verifier.verify(nextToken(), keyring, Date.now())).ok) throw new Error("refused");
    },
    jose: () => jwtVerify(nextToken(), cryptoKey, { algorithms: [alg] }),
  });

  const repeatedToken = tokens[0]!;
  const bare = bareCheck(alg, key.jwk!);
  const repeated = await compareThroughput({
    keyward: async () => {
      if (!(await verifier.verify(repeatedToken, keyring, Date.now())).ok)
        throw new Error("refused");
    },
    bare: () => {
      if (!bare(repeatedToken, Date.now())) throw new Error("bare check refused");
    },
  });

  return [
    figure(
      `verify.${lower}.first_seen`,
      firstSeen.keyward!,
      "ops/s",
      "jose.jwtVerify",
      firstSeen.jose!,
      "ratio >= 0.95",
    ),
    figure(
      `verify.${lower}.repeated`,
      repeated.keyward!,
      "ops/s",
      `bare node:crypto ${alg}`,
      repeated.bare!,
      "ratio >= 0.5",
    ),
  ];
}

/** The least a verifier can do: signature, constant-time compare, payload JSON, exp. */
function bareCheck(alg: Algorithm, jwk: { k?: string; x?: string; y?: string }) {
  const decodePayload = (payload: string) =>
    JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  if (alg === "HS256") {
    const secret = decodeBase64url(jwk.k)!;
    return (token: string, nowMs: number) => {
      const [header, payload, signature] = token.split(".");
      const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
      const given = Buffer.from(signature!, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      return decodePayload(payload!).exp * 1000 > nowMs;
    };
  }
  const publicKey = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! },
    format: "jwk",
  });
  return (token: string, nowMs: number) => {
    const [header, payload, signature] = token.split(".");
    const ok = nodeVerify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature!, "base64url"),
    );
    return ok && decodePayload(payload!).exp * 1000 > nowMs;
  };
}
