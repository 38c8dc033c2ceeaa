import { type CryptoKey, jwtVerify } from "jose";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { CryptoKeyCache } from "../../shared/tokens/crypto-keys.ts";
import { directNode } from "../../shared/tokens/direct.ts";
import { directWebCrypto } from "../../shared/tokens/direct-webcrypto.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { compareThroughput, type Figure, figure } from "./harness.ts";
import { bareCheck, mintTokens } from "./tokens.ts";

/** Tokens in flight for the first-seen figures: one at a time would measure thread-pool jitter. */
const IN_FLIGHT = 64;
/** The first-seen comparison's timing; the token pool is sized from it. */
const FIRST_SEEN = { opsPerCall: IN_FLIGHT, roundMs: 250, rounds: 11, warmupMs: 200 } as const;

/**
 * Warm verification throughput. First-seen tokens (each verified exactly once, so no cache can
 * help): keyward's WebCrypto path, the edge's, against `jose.jwtVerify` with the same CryptoKey. A repeated token, arriving as
 * a new string each time: keyward (served by its verified-token cache) against a bare
 * node:crypto check (signature, constant-time compare, JSON parse, exp).
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
  // As the edge verifies (WebCrypto; HS256 without jose's wrapping): Node's verifiers take the
  // direct path below instead.
  const verifier = createVerifier({ directAsync: directWebCrypto() });

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
          const fast = createVerifier({ direct: directNode(), cacheSize: 0 });
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
  // Each call gets the token as a new string, cut from its header as a request's token is: a
  // string seen before would hand any map its cached hash, which no real request has.
  const header = `Bearer ${repeatedToken}`;
  const repeated = await compareThroughput({
    keyward: async () => {
      if (!(await verifier.verify(header.slice(7), keyring, Date.now())).ok)
        throw new Error("refused");
    },
    bare: () => {
      if (!bare(header.slice(7), Date.now())) throw new Error("bare check refused");
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
