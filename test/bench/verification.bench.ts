import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { type CryptoKey, type JWK, jwtVerify } from "jose";
import { decodeBase64url } from "../../shared/kernel/base64url.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { CryptoKeyCache } from "../../shared/tokens/crypto-keys.ts";
import { directHs256 } from "../../shared/tokens/hs256-direct.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { compareThroughput, type Figure, figure } from "./harness.ts";

/** Tokens in flight for the first-seen figures: one at a time would measure thread-pool jitter. */
const IN_FLIGHT = 64;
/** The first-seen comparison's timing; the token pool is sized from it. */
const FIRST_SEEN = { opsPerCall: IN_FLIGHT, roundMs: 250, rounds: 11, warmupMs: 200 } as const;

/**
 * Warm verification throughput. First-seen tokens (each verified exactly once, so no cache can
 * help): keyward against `jose.jwtVerify` with the same CryptoKey. A repeated token: keyward
 * (served by its verified-token cache) against a bare node:crypto check (signature,
 * constant-time compare, JSON parse, exp).
 */
export async function verificationBenchmarks(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const alg of ["HS256", "ES256"] as const) figures.push(...(await benchAlgorithm(alg)));
  return figures;
}

async function benchAlgorithm(alg: "HS256" | "ES256"): Promise<Figure[]> {
  const now = Date.now();
  const keyring = createKeyring(await generateKey(alg, now, cryptoRandom), now);
  const key = keyring.keys[0]!;
  const mint = (count: number) => mintTokens(alg, key.kid, key.jwk!, count, now);
  const cryptoKey: CryptoKey = await new CryptoKeyCache().get(key, "verify");
  const verifier = createVerifier();

  // Fresh tokens, minted before the timing: as many as the faster candidate can verify in the
  // comparison's time budget at the rate a calibration run measures, with a margin, so no token
  // is ever seen twice whatever the machine's speed.
  const calibration = mint(4 * 1024);
  const started = performance.now();
  for (let i = 0; i < calibration.length; i += IN_FLIGHT)
    await Promise.all(
      calibration
        .slice(i, i + IN_FLIGHT)
        .map((t) => jwtVerify(t, cryptoKey, { algorithms: [alg] })),
    );
  const rate = (calibration.length / (performance.now() - started)) * 1000;
  const budgetMs = FIRST_SEEN.warmupMs + FIRST_SEEN.rounds * FIRST_SEEN.roundMs;
  let tokens = mint(Math.ceil((rate * 2 * 2 * budgetMs) / 1000));
  let next = 0;
  const batch = () => {
    // Only if the candidates ran over twice the calibrated rate: mint more, inside the timing.
    if (next + IN_FLIGHT > tokens.length) {
      tokens = [...tokens.slice(next), ...mint(tokens.length)];
      next = 0;
    }
    const slice = tokens.slice(next, next + IN_FLIGHT);
    next += IN_FLIGHT;
    return slice;
  };
  const lower = alg.toLowerCase();
  const firstSeen = await compareThroughput(
    {
      keyward: async () => {
        const results = await Promise.all(
          batch().map((t) => verifier.verify(t, keyring, Date.now())),
        );
        if (!results.every((r) => r.ok)) throw new Error("refused");
      },
      jose: () => Promise.all(batch().map((t) => jwtVerify(t, cryptoKey, { algorithms: [alg] }))),
    },
    FIRST_SEEN,
  );
  // HS256 as Node verifiers run it (the authorizer): the direct path, against the least a
  // verifier can do with node:crypto (HMAC, constant-time compare, JSON parse, exp) and against
  // jose. Its verified-token cache is off, so every verification does the whole work (a pool of
  // distinct tokens is cycled: at this rate a pool that is never reused would take seconds to mint).
  const direct =
    alg === "HS256"
      ? await (async () => {
          const fast = createVerifier({ hs256: directHs256(), cacheSize: 0 });
          const bare = bareCheck(alg, key.jwk!);
          const pool = mint(4096);
          let at = 0;
          const nextToken = () => pool[at++ % pool.length] as string;
          return compareThroughput({
            keyward: async () => {
              if (!(await fast.verify(nextToken(), keyring, Date.now())).ok)
                throw new Error("refused");
            },
            bare: () => {
              if (!bare(nextToken(), Date.now())) throw new Error("bare check refused");
            },
            jose: () => jwtVerify(nextToken(), cryptoKey, { algorithms: [alg] }),
          });
        })()
      : undefined;

  const repeatedToken = await createSigner().sign(keyring, { sub: "repeat" }, now);
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
    ...(direct === undefined
      ? []
      : [
          figure(
            "verify.hs256.first_seen_direct",
            direct.keyward!,
            "ops/s",
            "bare node:crypto HMAC + constant-time compare + JSON + exp",
            direct.bare!,
            "ratio >= 0.5",
          ),
          figure(
            "verify.hs256.first_seen_direct_vs_jose",
            direct.keyward!,
            "ops/s",
            "jose.jwtVerify",
            direct.jose!,
            "reported",
          ),
        ]),
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

/** Tokens shaped as keyward's signer makes them (kid, typ; sub, jti, iat, exp), minted fast with node:crypto. */
function mintTokens(
  alg: "HS256" | "ES256",
  kid: string,
  jwk: JWK,
  count: number,
  nowMs: number,
): string[] {
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: "JWT" })).toString("base64url");
  const iat = Math.floor(nowMs / 1000);
  const sign =
    alg === "HS256"
      ? (
          (secret) => (input: string) =>
            createHmac("sha256", secret).update(input).digest()
        )(decodeBase64url(jwk.k)!)
      : (
          (privateKey) => (input: string) =>
            nodeSign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" })
        )(createPrivateKey({ key: jwk as never, format: "jwk" }));
  const tokens: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(
      JSON.stringify({
        sub: `user-${i}`,
        jti: randomBytes(16).toString("base64url"),
        iat,
        exp: iat + 3600,
      }),
    ).toString("base64url");
    const input = `${header}.${payload}`;
    tokens[i] = `${input}.${sign(input).toString("base64url")}`;
  }
  return tokens;
}

/** The least a verifier can do: signature, constant-time compare, payload JSON, exp. */
function bareCheck(alg: "HS256" | "ES256", jwk: { k?: string; x?: string; y?: string }) {
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
