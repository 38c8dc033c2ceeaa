import type { Environment, EnvReader } from "../../shared/config/env.ts";
import {
  type KeySource,
  readVerifierConfig,
  type VerifierConfig,
} from "../../shared/config/verifier-config.ts";
import { fetchTransport } from "../../shared/http/transport.ts";
import type { Clock } from "../../shared/kernel/clock.ts";
import { JwksReader } from "../../shared/keyring-store/jwks-reader.ts";
import { readerFromEnvironment } from "../../shared/keyring-store/secrets-reader.ts";
import type { createLogger, LineWriter } from "../../shared/observability/log.ts";
import { reportingChanges } from "../../shared/receipts/instance-recorder.ts";
import { directWebCrypto } from "../../shared/tokens/direct-webcrypto.ts";
import {
  reportMirrorOverflow,
  upstashRevocationSources,
  usageRecorderFor,
  type Verification,
  verificationFromConfig,
  verifierReceipts,
} from "../../shared/verification/assembly.ts";
import { countUsage, type UsageCount } from "../../shared/verification/authenticate.ts";
import type { KeywardMiddlewareOptions } from "./middleware.ts";

/**
 * The verifier settings of the edge (the Worker, and `keyward/hono` anywhere): the authorizer's,
 * keys from `KEYWARD_JWKS_URL` or from Secrets Manager (`KEYWARD_SECRET_PREFIX` with the AWS
 * variables), Upstash's URL and token as values (no secret to read them from). Problems go to
 * `read`, reported with the caller's own.
 */
export function readEdgeVerifierConfig(
  env: Environment,
  read: EnvReader,
): VerifierConfig<KeySource> {
  if (read.string("KEYWARD_UPSTASH_SECRET_ID") !== undefined)
    read.problem(
      "KEYWARD_UPSTASH_SECRET_ID is not read at the edge: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (as Worker secrets, or in the environment)",
    );
  if (read.string("KEYWARD_SECRET_PREFIX") !== undefined) {
    for (const name of ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
      if (read.string(name) === undefined)
        read.problem(`${name} is required with KEYWARD_SECRET_PREFIX: the keyring's reader`);
  }
  return readVerifierConfig(env, "secrets-or-jwks", read);
}

/** The region an edge receipt names when the request did not say where it ran (Node, tests). */
const UNKNOWN_COLO = "edge";

/**
 * Where a Worker runs, as its receipts name it: the data centre (`request.cf.colo`, three
 * letters) of the request that started the isolate, which stays there.
 */
export function coloOf(request: Request): string {
  const colo = (request as { cf?: { colo?: unknown } }).cf?.colo;
  return typeof colo === "string" && /^[A-Z]{3}$/.test(colo) ? colo : UNKNOWN_COLO;
}

export interface EdgeVerification {
  readonly verification: Verification;
  /** The middleware's options: the verification path, the token's place, usage and logs. */
  readonly middleware: KeywardMiddlewareOptions;
  /** Work a request started that must outlive its answer (a keyring reload, a usage flush). */
  readonly pending: () => Promise<unknown>[];
}

/**
 * One edge verifier's state, for as long as its isolate or process lives: the keyring cache, the
 * revocation mirror, usage counts flushed to Upstash with its receipt (naming `colo`, where it
 * runs), so the grace gate sees the edge's share of old keys, a log line per refusal or degraded
 * allow, never the token.
 */
export function edgeVerification(
  config: VerifierConfig<KeySource>,
  env: Environment,
  clock: Clock,
  log: ReturnType<typeof createLogger>,
  write: LineWriter,
  colo = UNKNOWN_COLO,
): EdgeVerification {
  const keys = config.keys;
  // Always `fetch` here: a Worker with Node compatibility may offer Node's modules, not its sockets.
  const reader =
    keys.kind === "jwks"
      ? new JwksReader({ url: keys.url })
      : readerFromEnvironment(env, keys.prefix, fetchTransport);
  const upstash = {
    url: config.upstash.kind === "env" ? config.upstash.url : "",
    token: config.upstash.kind === "env" ? config.upstash.token : "",
    transport: fetchTransport,
  };
  const verification = verificationFromConfig(
    config,
    () => reader.load(),
    upstashRevocationSources(upstash, config),
    clock,
    // HS256 through WebCrypto (workerd runs it inline), without jose's wrapping, and no
    // node:crypto: the edge runs where Node does not.
    {
      onMirrorOverflow: reportMirrorOverflow(log, write, "edge", clock),
      directAsync: directWebCrypto(),
    },
  );
  const receipts = verifierReceipts("edge", colo, verification, clock);
  const usage = usageRecorderFor(upstash, config, clock, log, receipts);
  let flushing: Promise<void> | undefined;
  reportingChanges(verification, usage, clock, (flush) => {
    flushing = flush;
  });
  const count: UsageCount = (kid, outcome, nowMs, consumer) => {
    flushing = usage.record(kid, nowMs, outcome, consumer) ?? flushing;
  };
  return {
    verification,
    middleware: {
      authenticate: verification.authenticate,
      tokenSource: {
        header: config.tokenHeader,
        ...(config.tokenCookie === undefined ? {} : { cookie: config.tokenCookie }),
      },
      onResult: (result) => {
        countUsage(result, count, clock.now());
        if (!result.ok) {
          log.info("request refused", {
            reason: result.reason,
            ...(result.kid === undefined ? {} : { kid: result.kid }),
            ...(result.rule === undefined ? {} : { rule: result.rule }),
          });
        } else if (result.revocationUnchecked || result.staleKeyring) {
          log.warn("request allowed degraded", {
            kid: result.kid,
            revocationUnchecked: result.revocationUnchecked,
            staleKeyring: result.staleKeyring,
          });
        }
      },
    },
    pending: () =>
      [verification.keyrings.loading, verification.mirror?.refreshing, flushing].filter(
        (work): work is Promise<void> => work !== undefined,
      ),
  };
}
