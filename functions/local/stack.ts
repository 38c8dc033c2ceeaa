import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { MemoryAuditJournal } from "../../shared/audit/memory.ts";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { createAuthenticator, usageOf } from "../../shared/authenticate.ts";
import { type Clock, MINUTE, SECOND, systemClock } from "../../shared/clock.ts";
import { MemoryEventPublisher } from "../../shared/events.ts";
import { createIssuer } from "../../shared/issuing/issuer.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import { type KeyringName, keyringSecretPrefix } from "../../shared/keyring/names.ts";
import {
  type RotationPolicy,
  resolvePolicy,
  SESSIONS_POLICY_DEFAULTS,
} from "../../shared/keyring/policy.ts";
import { createKeyring } from "../../shared/keyring/transitions.ts";
import { KeyringCache } from "../../shared/keyring-cache.ts";
import { FileKeyringStore } from "../../shared/keyring-store/file.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import { type OperationDeps, onKeyring } from "../../shared/operations/deps.ts";
import { tick as runTick } from "../../shared/operations/tick.ts";
import { cryptoRandom } from "../../shared/random.ts";
import { MemoryRefreshStore } from "../../shared/refresh/memory.ts";
import { reportReuse } from "../../shared/refresh/reuse.ts";
import { DEFAULT_REFRESH } from "../../shared/refresh/store.ts";
import { UpstashRefreshStore } from "../../shared/refresh/upstash.ts";
import type { RevocationLog } from "../../shared/revocation/change-log.ts";
import { guardRevocations } from "../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../shared/revocation/memory.ts";
import { RevocationMirror } from "../../shared/revocation/mirror.ts";
import type { RevocationTiming } from "../../shared/revocation/rules.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { UpstashRevocationLog } from "../../shared/revocation/upstash-log.ts";
import { OPEN_REFUSALS } from "../../shared/sealing/sealer.ts";
import { createSessions } from "../../shared/sealing/sessions.ts";
import { directHs256 } from "../../shared/tokens/hs256-direct.ts";
import { createVerifier } from "../../shared/tokens/verifier.ts";
import type { UpstashSettings } from "../../shared/upstash/settings.ts";
import { MemoryUsageStore, UsageRecorder, type UsageStore } from "../../shared/usage/counts.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";
import { createIssuingApp } from "../issuer-api/app.ts";
import { createOpsApp } from "../ops-api/app.ts";
import { sha256 } from "../ops-api/operators.ts";

export interface LocalStackOptions {
  readonly port: number;
  readonly host?: string;
  /** Where the keyring file and the ops credential live. Default `.keyward`. */
  readonly dir: string;
  /** How often the scheduler applies the rotation policy. Default 10 s. */
  readonly tickMs?: number;
  readonly policy?: Partial<RotationPolicy>;
  /** The sessions keyring's policy (`KEYWARD_SESSIONS_*`); A256GCM whatever it says. */
  readonly sessionsPolicy?: Partial<RotationPolicy>;
  readonly clock?: Clock;
  /**
   * Real stores instead of the local ones, when their settings are present (`storesFromEnv`):
   * the keyring in Secrets Manager under `secretPrefix`, revocations and journal in Upstash.
   */
  readonly stores?: LocalStores;
  /**
   * Where the activity log goes: one line per request (method, path, status; never a query, a
   * header or a body, so never a token), per refusal (its reason) and per scheduler tick that
   * changed or failed something. Default: no log (tests); `npm start` writes to stdout.
   */
  readonly log?: (line: string) => void;
}

export interface LocalStores {
  readonly secretPrefix?: string;
  readonly upstash?: UpstashSettings;
}

/** KEYWARD_SECRET_PREFIX (with the standard AWS variables) and UPSTASH_REDIS_REST_URL/TOKEN, when set. */
export function storesFromEnv(env: NodeJS.ProcessEnv): LocalStores {
  const url = env.UPSTASH_REDIS_REST_URL || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN || undefined;
  const secretPrefix = env.KEYWARD_SECRET_PREFIX || undefined;
  return {
    ...(secretPrefix === undefined ? {} : { secretPrefix }),
    ...(url === undefined || token === undefined ? {} : { upstash: { url, token } }),
  };
}

export interface LocalStack {
  readonly url: string;
  readonly tokenFile: string;
  /** The local issuing client's credential, for POST /v1/tokens. */
  readonly issuerTokenFile: string;
  /** Runs the rotation policy once now (the scheduler does it every `tickMs`). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local stack of `npm start`: one Node process serving the ops API, a protected route
 * `GET /whoami` behind the same verification path as the authorizer, the issuing endpoint
 * `POST /v1/tokens`, a sample session (`PUT`/`GET /session`, sealed with the sessions keyring),
 * and the rotation scheduler for both keyrings. Keyrings in files, revocations, journal and
 * events in memory; or Secrets Manager and Upstash when configured.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const clock = options.clock ?? systemClock;
  const policy = resolvePolicy(options.policy);
  const sessionsPolicy = resolvePolicy({
    keyringCacheTtlMs: policy.keyringCacheTtlMs,
    prePublicationMarginMs: policy.prePublicationMarginMs,
    rotationPeriodMs: SESSIONS_POLICY_DEFAULTS.rotationPeriodMs,
    maxTokenLifetimeMs: SESSIONS_POLICY_DEFAULTS.maxTokenLifetimeMs,
    ...options.sessionsPolicy,
    // A sessions keyring's keys are A256GCM and rotate gracefully, whatever was passed.
    algorithm: SESSIONS_POLICY_DEFAULTS.algorithm,
    strategy: SESSIONS_POLICY_DEFAULTS.strategy,
  });
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const stores = options.stores ?? {};
  const secrets = new SecretsManagerClient({});
  /** Each keyring in its file (`keyring.json`, `sessions-keyring.json`), or in Secrets Manager. */
  const keyringStore = (name: KeyringName): KeyringStore =>
    stores.secretPrefix === undefined
      ? new FileKeyringStore(
          join(options.dir, name === "signing" ? "keyring.json" : `${name}-keyring.json`),
        )
      : new SecretsManagerKeyringStore({
          client: secrets,
          prefix: keyringSecretPrefix(stores.secretPrefix, name),
          clock,
        });
  const keyrings = keyringStore("signing");
  const sessionKeyrings = keyringStore("sessions");
  for (const [store, alg] of [
    [keyrings, policy.algorithm],
    [sessionKeyrings, sessionsPolicy.algorithm],
  ] as const) {
    if ((await store.load()) === undefined) {
      const now = clock.now();
      await store.save(createKeyring(await generateKey(alg, now, cryptoRandom), now));
    }
  }
  const tokenFile = join(options.dir, "ops-token");
  const credential = await localCredential(tokenFile);
  const issuerTokenFile = join(options.dir, "issuer-token");
  const issuerCredential = await localCredential(issuerTokenFile);

  // The maximum token lifetime of the policy (KEYWARD_MAX_TOKEN_LIFETIME_SECONDS): cut-offs live as
  // long as a token can, and /v1/tokens mints no longer.
  const maxLifetimeSeconds = policy.maxTokenLifetimeMs / SECOND;
  const timing = {
    maxTokenLifetimeSeconds: maxLifetimeSeconds,
    clockToleranceSeconds: 5,
    refreshLifetimeSeconds: DEFAULT_REFRESH.absoluteMs / SECOND,
  };
  // The revocations and their change log (which the protected route's mirror reads).
  const { revocations, revocationLog } = localRevocations(stores.upstash, timing, clock);
  const deps: OperationDeps = {
    keyrings,
    revocations,
    audit:
      stores.upstash === undefined
        ? new MemoryAuditJournal()
        : new UpstashAuditJournal(stores.upstash),
    events: new MemoryEventPublisher(),
    clock,
    random: cryptoRandom,
    policy,
    timing,
  };
  const usageStore: UsageStore =
    stores.upstash === undefined ? new MemoryUsageStore() : new UpstashUsageStore(stores.upstash);
  const usage = new UsageRecorder(usageStore, clock.now(), 10 * SECOND);
  // Refresh-token families live beside the revocations their refreshes read.
  const refreshStore =
    stores.upstash === undefined
      ? new MemoryRefreshStore(deps.revocations)
      : new UpstashRefreshStore(stores.upstash);
  const sessionDeps = onKeyring(deps, "sessions", sessionKeyrings, sessionsPolicy);
  const ops = createOpsApp(deps, {
    sessions: refreshStore,
    usage: usageStore,
    operators: [{ name: "local", role: "admin", tokenSha256: sha256(credential) }],
    keyrings: { sessions: sessionDeps },
  });
  // The sample app's sessions, sealed with the sessions keyring as a service would with
  // keyward/sessions: the key rules from the same revocation store, usage into the same figures.
  const sessions = createSessions({
    keyring: { load: () => sessionKeyrings.load() },
    revocations: deps.revocations,
    usage: usageStore,
    clock,
    cacheTtlSeconds: sessionsPolicy.keyringCacheTtlMs / SECOND,
    maxSessionLifetimeSeconds: sessionsPolicy.maxTokenLifetimeMs / SECOND,
  });
  const authenticate = createAuthenticator({
    keyrings: new KeyringCache({
      load: () => keyrings.load(),
      clock,
      ttlMs: policy.keyringCacheTtlMs,
    }),
    verifier: createVerifier({
      clockToleranceSeconds: timing.clockToleranceSeconds,
      maxLifetimeSeconds,
      hs256: directHs256(),
    }),
    // As deployed verifiers do: the rules mirrored in memory, refreshed from the change log.
    revocations: guardRevocations(
      new RevocationMirror({
        log: revocationLog,
        fallback: deps.revocations,
        clock,
        budgetMs: 1_000,
      }),
    ),
    clock,
    signerFollowMs: policy.keyringCacheTtlMs + MINUTE,
  });

  const log = options.log ?? (() => undefined);
  const stamp = () => new Date(clock.now()).toISOString();
  const app = new Hono();
  app.onError(errorAnswer);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log(
      `${stamp()} ${c.req.method} ${c.req.path} ${c.res.status} (${Math.round(performance.now() - started)} ms)`,
    );
  });
  app.get("/whoami", async (c) => {
    const match = /^Bearer +(\S+)$/i.exec(c.req.header("authorization") ?? "");
    const result = await authenticate(match?.[1]);
    const counted = usageOf(result);
    if (counted !== undefined) usage.record(counted.kid, clock.now(), counted.outcome);
    if (!result.ok) {
      log(`${stamp()} refused: ${result.reason}${result.rule ? ` (${result.rule})` : ""}`);
      c.header("WWW-Authenticate", `Bearer realm="keyward", error="invalid_token"`);
      return c.json(
        errorBody(
          result.reason,
          `token refused: ${result.reason}${result.rule ? ` (${result.rule})` : ""}`,
        ),
        401,
      );
    }
    return c.json({
      sub: result.claims.sub,
      kid: result.kid,
      keyStatus: result.keyStatus,
      claims: result.claims,
    });
  });
  // The sample app's session, in a cookie sealed with the sessions keyring: PUT stores the body,
  // GET opens it and, when its key is no longer current, re-seals it (a new Set-Cookie).
  app.put("/session", async (c) => {
    const data = await c.req.text();
    if (data.length > 4096)
      return c.json(errorBody("too_large", "a session holds at most 4096 characters"), 413);
    const envelope = await sessions.seal(data, { aad: SESSION_COOKIE });
    c.header("Set-Cookie", sessionCookie(envelope));
    return c.json({ kid: envelope.split(".")[1] });
  });
  app.get("/session", async (c) => {
    const opened = await sessions.open(getCookie(c, SESSION_COOKIE), { aad: SESSION_COOKIE });
    if (!opened.ok) {
      log(`${stamp()} session refused: ${opened.reason}`);
      return c.json(errorBody(opened.reason, OPEN_REFUSALS[opened.reason]), 401);
    }
    if (opened.reseal)
      c.header(
        "Set-Cookie",
        sessionCookie(await sessions.seal(opened.plaintext, { aad: SESSION_COOKIE })),
      );
    return c.json({
      data: new TextDecoder().decode(opened.plaintext),
      kid: opened.kid,
      resealed: opened.reseal,
    });
  });
  app.route("/", ops);
  // The issuing endpoint as deployed (POST /v1/tokens), for one local client that may set any
  // claim and audience; its credential is in .keyward/issuer-token. Unlike a deployed issuer
  // (60 s) it reads the keyring at every login: the ops API that rotates keys is in this process,
  // so a login right after `rotate --immediate` is signed with the new key.
  app.route(
    "/",
    createIssuingApp({
      issuer: createIssuer({
        keyring: { load: () => keyrings.load() },
        clock,
        cacheTtlSeconds: 0,
        maxLifetimeSeconds,
        refresh: {
          store: refreshStore,
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

  const tick = async () => {
    const now = clock.now();
    await Promise.all([usage.flush(now), sessions.flush()]);
    for (const keyring of [deps, sessionDeps]) {
      const outcome = await runTick({ ...keyring, usage: usageStore }, now);
      const name = keyring.keyringName ?? "signing";
      if (outcome.status === "applied")
        log(
          `${stamp()} tick (${name}): ${outcome.actions.map((a) => ("kid" in a ? `${a.type} ${a.kid}` : a.type)).join(", ")} (revision ${outcome.revision})`,
        );
      else if (outcome.status === "failed")
        log(`${stamp()} tick (${name}) failed: ${outcome.reason}`);
    }
  };
  const timer = setInterval(
    () => {
      tick().catch((error: unknown) =>
        console.error(
          JSON.stringify({
            level: "error",
            message: "scheduler tick failed",
            name: (error as Error).name,
          }),
        ),
      );
    },
    options.tickMs ?? 10 * SECOND,
  );
  timer.unref();

  const server = serve({
    fetch: app.fetch,
    port: options.port,
    hostname: options.host ?? "127.0.0.1",
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  // Beside the credential, so the CLI finds this stack whatever PORT it runs on.
  const urlFile = join(options.dir, "url");
  await writeFile(urlFile, `${url}\n`);
  return {
    url,
    tokenFile,
    issuerTokenFile,
    tick,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        rm(urlFile, { force: true }).finally(() => server.close(() => resolve()));
      }),
  };
}

/** In memory (the store is its own change log), or in Upstash. */
function localRevocations(
  upstash: UpstashSettings | undefined,
  timing: RevocationTiming,
  clock: Clock,
): { revocations: RevocationStore; revocationLog: RevocationLog } {
  if (upstash === undefined) {
    const memory = new MemoryRevocationStore(timing, clock);
    return { revocations: memory, revocationLog: memory };
  }
  return {
    revocations: new UpstashRevocationStore({ ...upstash, timing, budgetMs: 1_000 }),
    revocationLog: new UpstashRevocationLog(upstash, "kw:", 1_000),
  };
}

const SESSION_COOKIE = "kw_session";

function sessionCookie(envelope: string): string {
  return `${SESSION_COOKIE}=${envelope}; Path=/session; HttpOnly; SameSite=Strict`;
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
