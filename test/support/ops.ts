import { randomUUID } from "node:crypto";
import { createOpsApp, type OpsAppOptions } from "../../functions/ops-api/app.ts";
import { type Role, sha256 } from "../../shared/access/operators.ts";
import { MemoryAuditJournal } from "../../shared/audit/memory.ts";
import { UpstashAuditJournal } from "../../shared/audit/upstash.ts";
import { MemoryEventPublisher } from "../../shared/events/events.ts";
import { DAY, systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../shared/keyring-store/memory.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import { type OperationDeps, onKeyring } from "../../shared/operations/deps.ts";
import { MemoryRevocationStore } from "../../shared/revocation/memory.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import type { UsageStore } from "../../shared/usage/counts.ts";
import { secretsManagerClient } from "./aws.ts";
import { seededRandom, T0 } from "./deterministic.ts";
import { startProxy } from "./http-proxy.ts";
import { newKeyring } from "./keyrings.ts";
import { startUpstashRest } from "./services.ts";

export const CREDENTIALS: Record<Role, string> = {
  admin: "admin-credential-0123456789abcdef",
  responder: "responder-credential-0123456789ab",
  viewer: "viewer-credential-0123456789abcdef",
};

/** One operator per role, `<role>-op`, with the credentials above. */
function roleOperators() {
  return Promise.all(
    (Object.entries(CREDENTIALS) as [Role, string][]).map(async ([role, credential]) => ({
      name: `${role}-op`,
      role,
      tokenSha256: sha256(credential),
    })),
  );
}

/** The ops API on in-memory stores, with one operator per role, at a clock the test moves. */
export async function opsFixture(
  options: {
    keyring?: Keyring | null;
    revocations?: RevocationStore;
    maxBodyBytes?: number;
    usage?: UsageStore;
    families?: OpsAppOptions["families"];
    receipts?: OpsAppOptions["receipts"];
    /** The deps the app sees (fault injection); the fixture keeps the real ones. */
    wrapDeps?: (deps: OperationDeps) => OperationDeps;
  } = {},
) {
  const clock = { t: T0 + 1000, now: () => clock.t };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const keyrings = new MemoryKeyringStore();
  const keyring =
    options.keyring === null ? undefined : (options.keyring ?? (await newKeyring("ES256", T0)));
  if (keyring !== undefined) await keyrings.save(keyring);
  const events = new MemoryEventPublisher();
  const audit = new MemoryAuditJournal();
  const memory = new MemoryRevocationStore(timing, clock);
  const deps: OperationDeps = {
    keyringName: "signing",
    keyrings,
    revocations: options.revocations ?? memory,
    audit,
    events,
    clock,
    random: seededRandom("ops"),
    policy: resolvePolicy({ algorithm: "ES256" }),
    timing,
  };
  const operators = await roleOperators();
  const served = options.wrapDeps?.(deps) ?? deps;
  // The sessions keyring beside it on the same (possibly wrapped) stores, empty until a test
  // imports or saves one.
  const sessionKeyrings = new MemoryKeyringStore();
  const sessionsPolicy = resolvePolicy({
    algorithm: "A256GCM",
    rotationPeriodMs: 30 * DAY,
    maxTokenLifetimeMs: 7 * DAY,
  });
  const app = createOpsApp(served, {
    operators,
    keyrings: { sessions: onKeyring(served, "sessions", sessionKeyrings, sessionsPolicy) },
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.usage === undefined ? {} : { usage: options.usage }),
    ...(options.families === undefined ? {} : { families: options.families }),
    ...(options.receipts === undefined ? {} : { receipts: options.receipts }),
  });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    role: Role | null = "admin",
    raw?: string,
  ) => {
    const response = await app.request(path, {
      method,
      headers: {
        ...(role === null ? {} : { authorization: `Bearer ${CREDENTIALS[role]}` }),
        ...(body === undefined && raw === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(raw !== undefined
        ? { body: raw }
        : body === undefined
          ? {}
          : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown> & {
        error?: { code: string; message: string };
      },
    };
  };
  return { app, call, clock, keyrings, keyring, audit, events, memory, deps, sessionKeyrings };
}

/**
 * The ops API on real stores: the keyring in Secrets Manager at `motoUrl`, revocations and the
 * journal in Redis through a fresh Upstash REST server, behind a proxy that can inject faults.
 */
export async function opsOnRealStores(motoUrl: string, redisUrl: string) {
  const server = await startUpstashRest(redisUrl);
  const proxy = await startProxy(server.url);
  const upstash = { url: proxy.url, token: server.token };
  const prefix = `a${randomUUID()}:`;
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const keyrings = new SecretsManagerKeyringStore({
    client: secretsManagerClient(motoUrl),
    prefix: `keyward/${randomUUID()}`,
  });
  const events = new MemoryEventPublisher();
  const audit = new UpstashAuditJournal(upstash, undefined, prefix);
  const deps: OperationDeps = {
    keyringName: "signing",
    keyrings,
    revocations: new UpstashRevocationStore({ ...upstash, timing, prefix, budgetMs: 2_000 }),
    audit,
    events,
    clock: systemClock,
    random: cryptoRandom,
    policy: resolvePolicy(),
    timing,
  };
  const operators = await roleOperators();
  const app = createOpsApp(deps, { operators, maxBodyBytes: 64 * 1024 });
  const request = async (path: string, init: RequestInit = {}) => {
    const answer = await app.request(path, init);
    const text = await answer.text();
    return { status: answer.status, headers: answer.headers, text, body: JSON.parse(text) };
  };
  const call = (method: string, path: string, body?: unknown, role: Role = "admin") =>
    request(path, {
      method,
      headers: { authorization: `Bearer ${CREDENTIALS[role]}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const stop = async () => {
    await proxy.stop();
    await server.process.stop();
  };
  return { call, request, keyrings, audit, events, proxy, stop };
}
