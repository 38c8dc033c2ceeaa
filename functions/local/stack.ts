import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { OpsClient } from "../../cli/client.ts";
import { createConsoleApp } from "../../console/app.ts";
import type { Operator } from "../../shared/access/operators.ts";
import { sha256 } from "../../shared/access/operators.ts";
import { EnvReader } from "../../shared/config/env.ts";
import {
  readVerificationSettings,
  type VerificationSettings,
} from "../../shared/config/verifier-config.ts";
import { kmsAlgorithmProblem } from "../../shared/config/writer-config.ts";
import { MemoryEventPublisher } from "../../shared/events/events.ts";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { type Clock, SECOND, systemClock } from "../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import {
  type RotationPolicy,
  resolvePolicy,
  SESSIONS_POLICY_DEFAULTS,
} from "../../shared/keyring/policy.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { type KeyCustody, localCustody } from "../../shared/keyring-store/custody.ts";
import { kmsCustody, signingKeyTags } from "../../shared/keyring-store/kms-custody.ts";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import { type OperationDeps, onKeyring } from "../../shared/operations/deps.ts";
import { reportingChanges } from "../../shared/receipts/instance-recorder.ts";
import { reportReuse } from "../../shared/refresh/reuse.ts";
import { DEFAULT_REFRESH } from "../../shared/refresh/store.ts";
import { revealingRefreshes, revealingRevocations } from "../../shared/revocation/colocated.ts";
import { createSessions } from "../../shared/sealing/sessions.ts";
import { directNode } from "../../shared/tokens/direct.ts";
import { UsageRecorder } from "../../shared/usage/counts.ts";
import { verificationFromConfig, verifierReceipts } from "../../shared/verification/assembly.ts";
import { errorAnswer } from "../http/errors.ts";
import { createIssuingApp } from "../issuer-api/app.ts";
import { createOpsApp } from "../ops-api/app.ts";
import type { LocalStores } from "./config.ts";
import { createSampleApp } from "./sample-app.ts";
import { startScheduler } from "./scheduler.ts";
import { localStores } from "./stores.ts";

export type { LocalStores } from "./config.ts";
export { storesFromEnv } from "./config.ts";

export interface LocalStackOptions {
  readonly port: number;
  readonly host?: string;
  /** Where the keyring files and the local credentials live. Default `.keyward`. */
  readonly dir: string;
  /** How often the scheduler applies the rotation policy. Default 10 s. */
  readonly tickMs?: number;
  readonly policy?: Partial<RotationPolicy>;
  /** The sessions keyring's policy (`KEYWARD_SESSIONS_*`); A256GCM whatever it says. */
  readonly sessionsPolicy?: Partial<RotationPolicy>;
  /** The verifier's settings, as the authorizer reads them. Default: the authorizer's defaults. */
  readonly verification?: VerificationSettings;
  readonly clock?: Clock;
  /** Operators besides `local` (an admin whose credential is generated): a viewer, a responder. */
  readonly operators?: readonly Operator[];
  /** Real stores instead of the local ones (`storesFromEnv`): Secrets Manager, Upstash. */
  readonly stores?: LocalStores;
  /**
   * Where the activity log goes: one line per request (method, path, status; never a query, a
   * header or a body, so never a token), per refusal (its reason) and per scheduler tick that
   * changed or failed something. Default: no log (tests); `npm start` writes to stdout.
   */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly url: string;
  /** The operator console's address, with this start's secret (`/console?k=…`). */
  readonly consoleUrl: string;
  readonly tokenFile: string;
  /** The local issuing client's credential, for POST /v1/tokens. */
  readonly issuerTokenFile: string;
  /** Runs the rotation policy once now (the scheduler does it every `tickMs`). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local stack of `npm start`, composed of the deployed parts in one Node process: the ops
 * API, the issuing endpoint `POST /v1/tokens`, the sample app (`GET /whoami` behind the
 * authorizer's own verification path, a sealed session at `/session`) and the rotation scheduler
 * for both keyrings. Its own revocations reach its verifier's mirror before the ops API answers.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const clock = options.clock ?? systemClock;
  const policy = resolvePolicy(options.policy);
  const sessionsPolicy = resolvePolicy({
    keyringCacheTtlMs: policy.keyringCacheTtlMs,
    prePublicationMarginMs: policy.prePublicationMarginMs,
    propagationMaxWaitMs: policy.propagationMaxWaitMs,
    rotationPeriodMs: SESSIONS_POLICY_DEFAULTS.rotationPeriodMs,
    maxTokenLifetimeMs: SESSIONS_POLICY_DEFAULTS.maxTokenLifetimeMs,
    ...options.sessionsPolicy,
    // A sessions keyring's keys are A256GCM and rotate gracefully, whatever was passed.
    algorithm: SESSIONS_POLICY_DEFAULTS.algorithm,
    strategy: SESSIONS_POLICY_DEFAULTS.strategy,
  });
  const verification = {
    ...(options.verification ?? defaultVerification()),
    // One policy for both: cut-offs and the keyring cache follow the rotation settings.
    maxTokenLifetimeSeconds: policy.maxTokenLifetimeMs / SECOND,
    keyringCacheTtlSeconds: policy.keyringCacheTtlMs / SECOND,
  };
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const maxLifetimeSeconds = verification.maxTokenLifetimeSeconds;
  const timing = {
    maxTokenLifetimeSeconds: maxLifetimeSeconds,
    clockToleranceSeconds: verification.clockToleranceSeconds,
    refreshLifetimeSeconds: DEFAULT_REFRESH.absoluteMs / SECOND,
  };
  const stores = localStores(options.stores ?? {}, options.dir, verification, timing, clock);
  const keyrings = stores.keyrings("signing");
  const sessionKeyrings = stores.keyrings("sessions");
  const kms = options.stores?.kms;
  const kmsProblem = kms === undefined ? undefined : kmsAlgorithmProblem(policy);
  if (kmsProblem !== undefined) throw new ConfigInvalid([kmsProblem]);
  const custody =
    kms === undefined
      ? localCustody(cryptoRandom)
      : kmsCustody({
          kms,
          random: cryptoRandom,
          tags: signingKeyTags(options.stores?.secretPrefix ?? "keyward-local"),
          schedulesDeletion: true,
        });
  await createMissing(keyrings, custody, policy, clock);
  await createMissing(sessionKeyrings, localCustody(cryptoRandom), sessionsPolicy, clock);

  // The verifier, as the authorizer assembles it (HS256 by Node's direct path).
  const verifier = verificationFromConfig(
    verification,
    () => keyrings.load(),
    stores.rules,
    clock,
    { direct: directNode() },
  );
  const deps: OperationDeps = {
    keyringName: "signing",
    keyrings,
    revocations: revealingRevocations(stores.revocations, verifier.mirror),
    audit: stores.audit,
    events: new MemoryEventPublisher(),
    clock,
    random: cryptoRandom,
    policy,
    timing,
    custody,
  };
  const sessionDeps = onKeyring(deps, "sessions", sessionKeyrings, sessionsPolicy);
  const refresh = revealingRefreshes(stores.refresh, verifier.mirror);
  const usage = new UsageRecorder(
    stores.usage,
    clock.now(),
    10 * SECOND,
    undefined,
    verifierReceipts("local", "local", verifier, clock),
  );
  reportingChanges(verifier, usage, clock);
  // Like the local issuer, the sample app's sessions read the keyring at every seal and open: the
  // ops API that imports and rotates it is in this process, so a session sealed right after
  // `keys import` is sealed with the imported key (with a cache, only once it had expired).
  const sessions = createSessions({
    keyring: { load: () => sessionKeyrings.load() },
    revocations: deps.revocations,
    usage: stores.usage,
    clock,
    cacheTtlSeconds: 0,
    maxSessionLifetimeSeconds: sessionsPolicy.maxTokenLifetimeMs / SECOND,
  });

  const credential = await localCredential(join(options.dir, "ops-token"));
  const issuerCredential = await localCredential(join(options.dir, "issuer-token"));
  const log = options.log ?? (() => undefined);
  const app = new Hono();
  app.onError(errorAnswer);
  app.route(
    "/",
    createSampleApp({
      authenticate: verifier.authenticate,
      tokenSource: {
        header: verification.tokenHeader,
        ...(verification.tokenCookie === undefined ? {} : { cookie: verification.tokenCookie }),
      },
      sessions,
      usage,
      clock,
      log,
    }),
  );
  const opsApp = createOpsApp(deps, {
    families: refresh,
    usage: stores.usage,
    receipts: stores.receipts,
    jwksConsumers: stores.jwksConsumers,
    jwksRecording: {
      log: stores.jwksConsumers,
      addressOf: (c) => getConnInfo(c).remote.address,
      clock,
    },
    operators: [
      { name: "local", role: "admin", tokenSha256: sha256(credential) },
      ...(options.operators ?? []),
    ],
    keyrings: { sessions: sessionDeps },
  });
  app.route("/", opsApp);
  // The operator console, as `keyward console` serves it, over this process's ops API; its
  // address carries a secret made at each start.
  const consoleSecret = randomBytes(32).toString("base64url");
  app.route(
    "/",
    createConsoleApp({
      // The ops API of this process, called by path without a network hop, as the generated
      // operator: the same client `keyward console` uses over HTTPS.
      api: new OpsClient("", credential, undefined, async (path, init) =>
        opsApp.request(path, init),
      ),
      secret: consoleSecret,
      clock,
    }),
  );
  // The issuing endpoint as deployed (POST /v1/tokens), for one local client that may set any
  // claim and audience. Unlike a deployed issuer (60 s) it reads the keyring at every login: the
  // ops API that rotates keys is in this process, so a login right after `rotate --immediate` is
  // signed with the new key.
  app.route(
    "/",
    createIssuingApp({
      issuer: createIssuer({
        keyring: { load: () => keyrings.load() },
        clock,
        cacheTtlSeconds: 0,
        maxLifetimeSeconds,
        ...(kms === undefined ? {} : { kms }),
        receipts: stores.usage,
        refresh: {
          store: refresh,
          // Successors are HMACs under this secret: it must survive a restart, as the families do.
          secret: Buffer.from(
            await localCredential(join(options.dir, "refresh-secret")),
            "base64url",
          ),
          onReused: reportReuse(deps, "local-stack"),
        },
      }),
      clients: [
        {
          name: "local",
          tokenSha256: sha256(issuerCredential),
          claims: ["*"],
          audiences: ["*"],
          maxLifetimeSeconds,
        },
      ],
      clock,
      write: () => undefined,
    }),
  );

  const scheduler = startScheduler({
    keyrings: [deps, sessionDeps],
    usage: stores.usage,
    receipts: stores.receipts,
    jwksConsumers: stores.jwksConsumers,
    // The verifier loads a keyring that is due first: its receipt then says what its next
    // request would verify with, even when no request came since the keyring changed.
    before: (now) =>
      Promise.all([verifier.keyrings.get().then(() => usage.flush(now)), sessions.flush()]),
    periodMs: options.tickMs ?? 10 * SECOND,
    clock,
    log,
  });
  await verifier.warmUp();
  const host = options.host ?? "127.0.0.1";
  const server = serve({ fetch: app.fetch, port: options.port, hostname: host });
  server.on("request", accessLog(log, clock));
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (error) => {
      scheduler.stop();
      reject(error);
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  // Beside the credential, so the CLI finds this stack whatever PORT it runs on.
  const urlFile = join(options.dir, "url");
  await writeFile(urlFile, `${url}\n`);
  return {
    url,
    consoleUrl: `${url}/console?k=${consoleSecret}`,
    tokenFile: join(options.dir, "ops-token"),
    issuerTokenFile: join(options.dir, "issuer-token"),
    tick: scheduler.tick,
    stop: () =>
      new Promise<void>((resolve) => {
        scheduler.stop();
        rm(urlFile, { force: true }).finally(() => server.close(() => resolve()));
      }),
  };
}

/**
 * A line per request (time, method, path without its query, status, milliseconds), written by the
 * HTTP server when the response is finished. As a Hono middleware the same line cost the server a
 * fifth of its throughput: Hono answers a route that has a middleware through its composed path
 * (a promise chain per layer), and one with a single handler directly.
 */
function accessLog(log: (line: string) => void, clock: Clock) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    response.once("finish", () => {
      const url = request.url ?? "/";
      const query = url.indexOf("?");
      log(
        `${new Date(clock.now()).toISOString()} ${request.method} ${query < 0 ? url : url.slice(0, query)} ${response.statusCode} (${Math.round(performance.now() - started)} ms)`,
      );
    });
  };
}

/** The authorizer's defaults: every verification setting as if none were set. */
function defaultVerification(): VerificationSettings {
  const read = new EnvReader({});
  const settings = readVerificationSettings(read);
  read.done();
  return settings;
}

/** A keyring with one new current key, where none is stored yet. */
async function createMissing(
  store: KeyringStore,
  custody: KeyCustody,
  policy: RotationPolicy,
  clock: Clock,
) {
  if ((await store.load()) !== undefined) return;
  const now = clock.now();
  await store.save(createKeyring(await custody.create(policy.algorithm, now), now));
}

/** A local credential (the operator's, the issuing client's): created once, mode 0600. */
async function localCredential(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const credential = randomBytes(32).toString("base64url");
  await writeFile(path, `${credential}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return credential;
}
