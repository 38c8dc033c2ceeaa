import { createPublicKey, webcrypto } from "node:crypto";
import { JwtVerifier } from "aws-jwt-verify";
import { createVerifier as fastJwtVerifier } from "fast-jwt";
import { verify as honoVerify } from "hono/jwt";
import type { JWK } from "jose";
import { createAuthorizer } from "../../functions/authorizer/authorizer.ts";
import { decodeBase64url } from "../../shared/kernel/base64url.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { createLogger } from "../../shared/observability/log.ts";
import { directNode } from "../../shared/tokens/direct.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import { UsageRecorder } from "../../shared/usage/counts.ts";
import type { AuthResult } from "../../shared/verification/authenticate.ts";
import { compareCpu, type Figure, figure } from "./harness.ts";
import { bareCheck, mintTokens } from "./tokens.ts";
import { warmVerification } from "./verification-stack.ts";

/**
 * Rounds and operations of each comparison: each candidate verifies this many distinct tokens. A
 * round is long enough for the young generation to fill several times over (HS256: 150 ms or
 * more): the collections a candidate's garbage causes are billed to it, and on average, rather
 * than by whether one more collection happened to fall inside its round.
 */
const TIMING = {
  HS256: { rounds: 11, opsPerRound: 25_000, warmupOps: 5_000 },
  ES256: { rounds: 15, opsPerRound: 2_000, warmupOps: 2_000 },
} as const;
const poolSize = (timing: (typeof TIMING)[keyof typeof TIMING]) =>
  timing.warmupOps + timing.rounds * timing.opsPerRound;

/**
 * keyward beside the libraries teams pick instead, in the same process, CPU time per first-seen
 * token (caches off everywhere): fast-jwt, aws-jwt-verify (ES256: it does not take HS256),
 * hono/jwt, and the bare node:crypto limit. Then what keyward adds around its verifier: the
 * verification core (`authenticate`: keyring cache, signature, claims, the mirror's decision)
 * and the whole authorizer handler (event, token, core, metrics, usage count, answer).
 */
export async function peersBenchmarks(): Promise<Figure[]> {
  return [...(await hs256()), ...(await es256())];
}

function allowed(result: AuthResult): void {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
}

/**
 * Each candidate walks a pool of tokens on its own, each token once: no cache anywhere sees a
 * token twice. Candidates without a shared cache share one pool (`group`), which keeps the heap,
 * and so every candidate's garbage collections, small; the authorizer's handler shares its
 * verification stack (and its verified-token cache) with `authenticate`, so has a pool of its own.
 */
function pools(mint: () => string[], group: (candidate: string) => string = () => "shared") {
  const made = new Map<string, string[]>();
  return (candidate: string) => {
    const name = group(candidate);
    let tokens = made.get(name);
    if (tokens === undefined) {
      tokens = mint();
      made.set(name, tokens);
    }
    const walked = tokens;
    let at = 0;
    return () => walked[at++ % walked.length] as string;
  };
}

/** REST TOKEN events, one for each token of `tokens`' pool, as the Lambda runtime parses them. */
function eventsOf(tokens: () => string): () => unknown {
  const events = Array.from({ length: poolSize(TIMING.HS256) }, () =>
    JSON.parse(
      JSON.stringify({
        type: "TOKEN",
        methodArn: "arn:aws:execute-api:us-east-1:1:api/prod/GET/x",
        authorizationToken: `Bearer ${tokens()}`,
      }),
    ),
  );
  let at = 0;
  return () => events[at++ % events.length];
}

async function hs256(): Promise<Figure[]> {
  const now = Date.now();
  const keyring = createKeyring(await generateKey("HS256", now, cryptoRandom), now);
  const key = keyring.keys[0]!;
  const tokensFor = pools(
    () => mintTokens("HS256", key.kid, key.jwk!, poolSize(TIMING.HS256), now),
    (candidate) => (candidate === "handler" ? "handler" : "shared"),
  );
  const secret = decodeBase64url(key.jwk!.k)!;
  const verifier = createVerifier({ direct: directNode(), cacheSize: 0 });
  const fast = fastJwtVerifier({
    key: Buffer.from(secret),
    algorithms: ["HS256"],
    cache: false,
  });
  const bare = bareCheck("HS256", key.jwk!);
  const honoKey = await webcrypto.subtle.importKey(
    "raw",
    secret,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const { authenticate, handler } = await verifierStack(keyring);
  const t = Object.fromEntries(
    ["keyward", "authenticate", "handler", "fastJwt", "honoJwt", "bare"].map((n) => [
      n,
      tokensFor(n),
    ]),
  ) as Record<string, () => string>;
  const events = eventsOf(t.handler!);
  const costs = await compareCpu(
    {
      // As Node verifiers run it (the authorizer): the decision without waiting.
      keyward: () => {
        const verified = verifier.decide(t.keyward!(), keyring, Date.now());
        if (verified instanceof Promise || !verified.ok) throw new Error("refused");
      },
      // Awaited only when it answers with a promise, as the authorizer's handler does.
      authenticate: () => {
        const answer = authenticate(t.authenticate!());
        return answer instanceof Promise ? answer.then(allowed) : allowed(answer);
      },
      // A new event each time, as the Lambda runtime hands it over: parsed from the invocation's
      // JSON before the handler runs (its strings flat), the parsing not the handler's cost.
      handler: () => handler(events()),
      fastJwt: () => fast(t.fastJwt!()),
      honoJwt: () => honoVerify(t.honoJwt!(), honoKey as never, "HS256"),
      bare: () => {
        if (!bare(t.bare!(), Date.now())) throw new Error("bare check refused");
      },
    },
    TIMING.HS256,
  );
  const cpu = (name: string) => costs[name]?.cpuUs as number;
  return [
    figure(
      "peers.hs256.first_seen_cpu_us",
      cpu("keyward"),
      "µs",
      "fast-jwt, no cache",
      cpu("fastJwt"),
      "reported",
    ),
    figure(
      "peers.hs256.first_seen_vs_limit",
      cpu("keyward"),
      "µs",
      "bare node:crypto limit",
      cpu("bare"),
      "reported",
    ),
    figure(
      "peers.hs256.first_seen_vs_hono_jwt",
      cpu("keyward"),
      "µs",
      "hono/jwt verify, a CryptoKey",
      cpu("honoJwt"),
      "reported",
    ),
    figure(
      "authenticate.hs256.first_seen_cpu_us",
      cpu("authenticate"),
      "µs",
      "keyward's verifier alone",
      cpu("keyward"),
      "ratio <= 1.3",
    ),
    figure(
      "authorizer.handler.hs256.first_seen_cpu_us",
      cpu("handler"),
      "µs",
      "bare node:crypto limit",
      cpu("bare"),
      "ratio <= 1.6",
    ),
  ];
}

async function es256(): Promise<Figure[]> {
  const now = Date.now();
  const keyring = createKeyring(await generateKey("ES256", now, cryptoRandom), now);
  const key = keyring.keys[0]!;
  const tokensFor = pools(() =>
    mintTokens("ES256", key.kid, key.jwk!, poolSize(TIMING.ES256), now),
  );
  const { d: _, ...publicJwk } = key.jwk as JWK & { d?: string };
  const verifier = createVerifier({ direct: directNode(), cacheSize: 0 });
  const fast = fastJwtVerifier({
    key: createPublicKey({ key: publicJwk as never, format: "jwk" })
      .export({ type: "spki", format: "pem" })
      .toString(),
    algorithms: ["ES256"],
    cache: false,
  });
  const aws = JwtVerifier.create({
    issuer: null,
    audience: null,
    jwksUri: "https://keys.example/jwks.json",
  });
  aws.cacheJwks({ keys: [{ ...publicJwk, kid: key.kid, alg: "ES256", use: "sig" } as never] });
  const bare = bareCheck("ES256", key.jwk!);
  const t = Object.fromEntries(
    ["keyward", "fastJwt", "awsJwtVerify", "bare"].map((n) => [n, tokensFor(n)]),
  ) as Record<string, () => string>;
  const costs = await compareCpu(
    {
      // As Node verifiers run it (the authorizer): the decision without waiting.
      keyward: () => {
        const verified = verifier.decide(t.keyward!(), keyring, Date.now());
        if (verified instanceof Promise || !verified.ok) throw new Error("refused");
      },
      fastJwt: () => fast(t.fastJwt!()),
      awsJwtVerify: () => aws.verifySync(t.awsJwtVerify!()),
      bare: () => {
        if (!bare(t.bare!(), Date.now())) throw new Error("bare check refused");
      },
    },
    TIMING.ES256,
  );
  const cpu = (name: string) => costs[name]?.cpuUs as number;
  return [
    figure(
      "peers.es256.first_seen_cpu_us",
      cpu("keyward"),
      "µs",
      "bare node:crypto limit",
      cpu("bare"),
      "ratio <= 1.15",
    ),
    figure(
      "peers.es256.first_seen_vs_fast_jwt",
      cpu("keyward"),
      "µs",
      "fast-jwt, no cache",
      cpu("fastJwt"),
      "ratio <= 1.0",
    ),
    figure(
      "peers.es256.first_seen_vs_aws_jwt_verify",
      cpu("keyward"),
      "µs",
      "aws-jwt-verify, verifySync",
      cpu("awsJwtVerify"),
      "reported",
    ),
  ];
}

/**
 * The authorizer as deployed, but for its stores: the keyring already loaded, the rules from a
 * log with none (the mirror fresh, deciding from memory), metrics and logs formatted and
 * dropped, usage counted (its minute's write to a store that takes it at once). Settings are the defaults.
 */
async function verifierStack(keyring: Keyring) {
  const { authenticate } = await warmVerification(keyring, { direct: directNode() });
  const own = await warmVerification(keyring, { direct: directNode() });
  const settings = own.settings;
  const write = () => undefined;
  const usage = new UsageRecorder({ add: async () => undefined }, systemClock.now());
  const handler = createAuthorizer({
    authenticate: own.authenticate,
    tokenSource: { header: settings.tokenHeader },
    log: createLogger("keyward-authorizer", write),
    writeMetrics: write,
    now: () => systemClock.now(),
    recordUsage: (kid, outcome, nowMs) => usage.record(kid, nowMs, outcome),
  });
  return { authenticate, handler };
}
