import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createJwksApp, publicKeysOf } from "../../functions/jwks/app.ts";
import { MemoryAuditJournal } from "../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../shared/events/events.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../shared/keyring/policy.ts";
import { activateKey, publishKey } from "../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../shared/keyring-store/secrets-manager.ts";
import type { OperationDeps } from "../../shared/operations/deps.ts";
import { emergency } from "../../shared/operations/emergency.ts";
import { UpstashReceipts } from "../../shared/receipts/upstash.ts";
import type { RevocationTarget } from "../../shared/revocation/rules.ts";
import { UpstashRevocationStore } from "../../shared/revocation/upstash.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { UpstashUsageStore } from "../../shared/usage/upstash.ts";
import { secretsManagerClient } from "../support/aws.ts";
import { type CountingProxy, startProxy } from "../support/http-proxy.ts";
import { expectOk, newKeyring } from "../support/keyrings.ts";
import { freePort } from "../support/processes.ts";
import { receiptsOnceWritten } from "../support/receipts.ts";
import { type RunningWorker, startOrigin, startWorker } from "../support/workerd.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
/**
 * Generous for a busy test machine (the budget is not what most tests are about), within the
 * 1 s promise with the freshness bound.
 */
const BUDGET_MS = 500;
const FRESHNESS_MS = 500;
const signer = createSigner({ lifetimeSeconds: 600 });

let origin: Awaited<ReturnType<typeof startOrigin>>;
const stoppers: (() => Promise<void>)[] = [];
/** Every token minted and every line any Worker wrote: no line may hold a token. */
const minted: string[] = [];
const workers: RunningWorker[] = [];

beforeAll(async () => {
  origin = await startOrigin();
  stoppers.push(origin.stop);
});
afterAll(async () => {
  const lines = workers.flatMap((worker) => worker.lines());
  await Promise.all([...workers.map((w) => w.stop()), ...stoppers.map((stop) => stop())]);
  expect(lines.length).toBeGreaterThan(0);
  for (const token of minted) for (const line of lines) expect(line).not.toContain(token);
}, 60_000);

async function proxyOf(url: string): Promise<CountingProxy> {
  const proxy = await startProxy(url);
  stoppers.push(proxy.stop);
  return proxy;
}

/**
 * An HS256 keyring in Secrets Manager (moto, read over SigV4 `fetch` from inside workerd),
 * revocations in Upstash, and the edge Worker in front of the test origin. Secrets Manager and
 * Upstash sit behind proxies that can inject the faults real servers do not make.
 */
async function secretsDeployment(settings: Record<string, string> = {}, { clocked = false } = {}) {
  const services = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  const redisPrefix = `e${randomUUID()}:`;
  const keyrings = new SecretsManagerKeyringStore({
    client: secretsManagerClient(services.motoUrl),
    prefix,
  });
  await keyrings.save(await newKeyring("HS256", Date.now(), cryptoRandom));
  const upstash = { url: services.upstashUrl, token: services.upstashToken };
  const revocations = new UpstashRevocationStore({
    ...upstash,
    prefix: redisPrefix,
    timing,
    budgetMs: 2_000,
  });
  const deps: OperationDeps = {
    keyringName: "signing",
    keyrings,
    revocations,
    audit: new MemoryAuditJournal(),
    events: new MemoryEventPublisher(),
    clock: systemClock,
    random: cryptoRandom,
    policy: resolvePolicy(),
    timing,
  };
  const [moto, upstashProxy] = await Promise.all([
    proxyOf(services.motoUrl),
    proxyOf(services.upstashUrl),
  ]);
  const worker = await startWorker(
    {
      KEYWARD_ORIGIN: origin.url,
      KEYWARD_SECRET_PREFIX: prefix,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "edge-reader",
      AWS_SECRET_ACCESS_KEY: "edge-reader-secret",
      AWS_ENDPOINT_URL: moto.url,
      UPSTASH_REDIS_REST_URL: upstashProxy.url,
      UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
      KEYWARD_REDIS_PREFIX: redisPrefix,
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "1",
      KEYWARD_REVOCATION_FRESHNESS_MS: String(FRESHNESS_MS),
      KEYWARD_REVOCATION_BUDGET_MS: String(BUDGET_MS),
      ...settings,
    },
    { clocked },
  );
  workers.push(worker);
  const mint = async (sub: string, claims: Record<string, unknown> = {}, keyring?: Keyring) => {
    const token = await signer.sign(
      keyring ?? (await keyrings.load())!,
      { sub, claims },
      Date.now(),
    );
    minted.push(token);
    return token;
  };
  const get = (token: string, init: RequestInit = {}) =>
    worker.fetch("/orders?page=2", {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as object) },
    });
  const revoke = (target: RevocationTarget) => revocations.revoke([target], Date.now());
  return { worker, keyrings, deps, moto, upstashProxy, mint, get, revoke, upstash, redisPrefix };
}

async function timed(work: () => Promise<Response>): Promise<{ response: Response; ms: number }> {
  const started = performance.now();
  const response = await work();
  return { response, ms: performance.now() - started };
}

/** Waits (real time, bounded) until the Worker has written a line holding `text`. */
async function loggedLine(worker: RunningWorker, text: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const line = worker.lines().find((l) => l.includes(text));
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Worker never logged "${text}"`);
}

describe("the edge Worker inside workerd (Miniflare), keys from Secrets Manager", () => {
  it("sends a valid token's request to the origin with the verified sub and scope, never the caller's own", async () => {
    const { get, mint } = await secretsDeployment();
    const token = await mint("alice", { scope: "orders:read" });
    const before = origin.received.length;
    const response = await get(token, {
      method: "POST",
      body: '{"item": 42}',
      headers: { "x-keyward-sub": "admin", "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("from the origin");
    const [reached] = origin.received.slice(before);
    expect(reached).toMatchObject({ method: "POST", url: "/orders?page=2", body: '{"item": 42}' });
    expect(reached?.headers["x-keyward-sub"]).toBe("alice");
    expect(reached?.headers["x-keyward-scope"]).toBe("orders:read");
  });

  it("answers 401 with a challenge and the reason, and never reaches the origin, for a missing or forged token", async () => {
    const { worker, get, mint } = await secretsDeployment();
    const before = origin.received.length;
    const none = await worker.fetch("/orders");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="keyward"');
    expect(await none.json()).toMatchObject({ error: { code: "token_missing" } });
    const token = await mint("alice");
    const forged = `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const refused = await get(forged);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await refused.json()).toMatchObject({ error: { code: "signature_invalid" } });
    expect(origin.received.length).toBe(before);
  });

  it("refuses a token once its freshness bound has passed after the revocation: by token, subject, claim, key and all (its clock moved by the test)", async () => {
    const { worker, get, mint, revoke } = await secretsDeployment({}, { clocked: true });
    const byToken = await mint("t-user");
    const bySub = await mint("s-user");
    const byClaim = await mint("c-user", { tenant: "acme" });
    const other = await mint("o-user");
    for (const token of [byToken, bySub, byClaim, other])
      expect((await get(token)).status).toBe(200);

    const jti = JSON.parse(Buffer.from(byToken.split(".")[1]!, "base64url").toString()).jti;
    const exp = Math.floor(Date.now() / 1000) + 600;
    await revoke({ kind: "token", jti, exp });
    await revoke({ kind: "subject", sub: "s-user" });
    await revoke({ kind: "claim", name: "tenant", value: "acme" });
    await worker.advance(FRESHNESS_MS);
    for (const token of [byToken, bySub, byClaim]) {
      const refused = await get(token);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { code: "revoked" } });
    }
    expect((await get(other)).status).toBe(200);

    // The global cut-off: every token issued before it, a login after it accepted.
    await revoke({ kind: "all" });
    await worker.advance(FRESHNESS_MS);
    expect(await (await get(other)).json()).toMatchObject({ error: { code: "revoked" } });
    const later = await mint("late-user");
    expect((await get(later)).status).toBe(200);

    // The key rule refuses every token of the key, whenever issued, and is named before any cut-off.
    const kid = JSON.parse(Buffer.from(later.split(".")[0]!, "base64url").toString()).kid;
    await revoke({ kind: "kid", kid });
    await worker.advance(FRESHNESS_MS);
    expect(await (await get(later)).json()).toMatchObject({ error: { code: "key_compromised" } });
    expect(await (await get(other)).json()).toMatchObject({ error: { code: "key_compromised" } });
  });

  it("keeps earlier tokens working across a graceful rotation, and takes the new key's tokens", async () => {
    const { worker, get, mint, keyrings } = await secretsDeployment({}, { clocked: true });
    const early = await mint("alice");
    expect((await get(early)).status).toBe(200);
    const start = (await keyrings.load())!;
    const next = await generateKey("HS256", Date.now(), cryptoRandom);
    await keyrings.save(expectOk(publishKey(start, next, Date.now())));
    await worker.advance(1_000); // the Worker's keyring TTL (1 s)
    expect((await get(early)).status).toBe(200); // reloads in the background
    await keyrings.save(expectOk(activateKey((await keyrings.load())!, next.kid, Date.now())));
    const fresh = await mint("bob");
    expect(JSON.parse(Buffer.from(fresh.split(".")[0]!, "base64url").toString()).kid).toBe(
      next.kid,
    );
    for (const token of [early, fresh, early]) expect((await get(token)).status).toBe(200);
  });

  it("writes its receipt naming the data centre it runs in, and counts each key's verifications by consumer", async () => {
    const { worker, get, mint, keyrings, upstash, redisPrefix } = await secretsDeployment(
      {},
      { clocked: true },
    );
    const token = await mint("alice", { azp: "storefront" });
    // The request that starts the isolate says where it runs (Cloudflare's request.cf).
    expect((await get(token, { cf: { colo: "AMS" } } as RequestInit)).status).toBe(200);
    await worker.advance(60_000);
    expect((await get(token)).status).toBe(200); // a minute on: the flush, with the receipt
    const receipts = new UpstashReceipts(upstash, redisPrefix);
    const live = await receiptsOnceWritten(receipts, 100);
    const kid = (await keyrings.load())!.keys[0]!.kid;
    expect(live).toEqual([
      expect.objectContaining({ kind: "edge", region: "AMS", keys: [{ kid, status: "current" }] }),
    ]);
    const usage = new UpstashUsageStore(upstash, redisPrefix);
    expect(await usage.consumersOf(kid, Date.now() + 60_000)).toEqual([
      { consumer: "storefront", verifier: "edge", verifications: 2 },
    ]);
  });

  it("refuses every token of the old key once an emergency has reached it, whatever its cache holds", async () => {
    const { worker, get, mint, deps, keyrings } = await secretsDeployment(
      { KEYWARD_KEYRING_CACHE_TTL_SECONDS: "3600" },
      { clocked: true },
    );
    const early = await mint("alice");
    expect((await get(early)).status).toBe(200);
    const leaked = (await keyrings.load())!;
    const rotated = await emergency(deps, { actor: "ic", reason: "key leaked" });
    expect(rotated.ok).toBe(true);
    await worker.advance(FRESHNESS_MS);
    // Issued before: the emergency's cut-off and its key rule both refuse it.
    const before = await get(early);
    expect(before.status).toBe(401);
    expect(["revoked", "key_compromised"]).toContain(
      ((await before.json()) as { error: { code: string } }).error.code,
    );
    // Minted with the leaked key after the emergency, as an attacker would: the key rule.
    const forged = await get(await mint("mallory", {}, leaked));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "key_compromised" } });
  });

  it("answers without waiting for an Upstash that hangs: 503 in closed mode, the origin in open mode (delay injected by a proxy)", async () => {
    for (const mode of ["closed", "open"] as const) {
      const { worker, get, mint, upstashProxy } = await secretsDeployment(
        { KEYWARD_REVOCATION_FAILURE_MODE: mode },
        { clocked: true },
      );
      const token = await mint("alice");
      expect((await get(token)).status).toBe(200);
      upstashProxy.setFault({ kind: "delay", ms: 60_000 });
      // Past the mirror's freshness bound: it may no longer decide alone.
      await worker.advance(FRESHNESS_MS);
      const { response, ms } = await timed(() => get(token));
      // Its budget (500 ms), not the minute the store takes: far below either on any machine.
      expect(ms).toBeLessThan(30_000);
      if (mode === "closed") {
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toBe("5");
        expect(await response.json()).toMatchObject({ error: { code: "store_unavailable" } });
      } else {
        expect(response.status).toBe(200);
      }
      upstashProxy.setFault({ kind: "none" });
    }
  });

  it("serves the last good keyring while Secrets Manager hangs or fails, never stalling a request, until the stale bound (faults injected by a proxy)", async () => {
    const { worker, get, mint, moto } = await secretsDeployment(
      { KEYWARD_KEYRING_MAX_STALE_SECONDS: "3" },
      { clocked: true },
    );
    const token = await mint("alice");
    expect((await get(token)).status).toBe(200);
    moto.setFault({ kind: "delay", ms: 60_000 });
    await worker.advance(1_200); // past the 1 s TTL: the reload hangs in the background
    const slow = await timed(() => get(token));
    expect(slow.response.status).toBe(200);
    expect(slow.ms).toBeLessThan(30_000);
    moto.setFault({ kind: "error", status: 500 });
    await worker.advance(1_200); // the last good keyring serves, marked stale
    expect((await get(token)).status).toBe(200);
    await worker.advance(2_500); // past the 3 s stale bound
    const stale = await get(token);
    expect(stale.status).toBe(503);
    expect(await stale.json()).toMatchObject({ error: { code: "keyring_unavailable" } });
    // Back once Secrets Manager answers again (after the cache's 5 s wait between failed loads).
    moto.setFault({ kind: "none" });
    await worker.advance(6_000);
    expect((await get(token)).status).toBe(200);
  });

  it("sends a request only to its origin, whatever its path says: the token never reaches another host", async () => {
    const attacker = await startOrigin();
    stoppers.push(attacker.stop);
    const { worker, mint } = await secretsDeployment({ KEYWARD_TOKEN_COOKIE: "session" });
    const token = await mint("alice");
    const host = new URL(attacker.url).host;
    const before = origin.received.length;
    for (const path of [
      `//${host}/steal`,
      `/\\${host}/steal`,
      `/%2F%2F${host}/steal`,
      `/%5C${host}/steal`,
      `//${host}/steal?x=1`,
    ]) {
      const response = await worker.fetch(path, { headers: { cookie: `session=${token}` } });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe("from the origin");
    }
    expect(attacker.received).toEqual([]);
    const reached = origin.received.slice(before).map((r) => r.url);
    expect(reached).toEqual([
      `//${host}/steal`,
      `//${host}/steal`,
      `/%2F%2F${host}/steal`,
      `/%5C${host}/steal`,
      `//${host}/steal?x=1`,
    ]);
  });

  it("answers 502 in JSON when the origin does not answer", async () => {
    const { worker, mint } = await secretsDeployment({
      KEYWARD_ORIGIN: `http://127.0.0.1:${await freePort()}`,
    });
    const response = await worker.fetch("/", {
      headers: { authorization: `Bearer ${await mint("alice")}` },
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: "origin_unavailable" } });
  });

  it("answers a misconfigured Worker's every request with a JSON 500 that names no value", async () => {
    const worker = await startWorker({
      KEYWARD_ORIGIN: "not a url",
      UPSTASH_REDIS_REST_TOKEN: "t0ps3cret",
    });
    workers.push(worker);
    const response = await worker.fetch("/");
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "config_invalid" } });
    await loggedLine(worker, "KEYWARD_ORIGIN must be an http(s) URL");
    const logged = worker.lines().join("\n");
    expect(`${body}${logged}`).not.toContain("t0ps3cret");
  });
});

describe("the edge Worker inside workerd, keys from a JWKS (ES256, no AWS credentials)", () => {
  it("verifies from the public key set, follows a new key by its kid, and keeps the last good set while the JWKS is down", async () => {
    const services = inject("services");
    let keyring = await newKeyring("ES256", Date.now(), cryptoRandom);
    const jwks = createJwksApp({ keys: async () => publicKeysOf(keyring), maxAgeSeconds: 0 });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: jwks.fetch, port: 0, hostname: "127.0.0.1" }, () =>
        resolve(started),
      );
    });
    stoppers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const proxy = await proxyOf(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const worker = await startWorker(
      {
        KEYWARD_ORIGIN: origin.url,
        KEYWARD_JWKS_URL: `${proxy.url}/.well-known/jwks.json`,
        UPSTASH_REDIS_REST_URL: services.upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
        KEYWARD_REDIS_PREFIX: `j${randomUUID()}:`,
        KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS: "1",
        KEYWARD_KEYRING_CACHE_TTL_SECONDS: "1",
        KEYWARD_REVOCATION_FRESHNESS_MS: String(FRESHNESS_MS),
        KEYWARD_REVOCATION_BUDGET_MS: String(BUDGET_MS),
      },
      { clocked: true },
    );
    workers.push(worker);
    const tokenFor = async (sub: string) => {
      const token = await signer.sign(keyring, { sub }, Date.now());
      minted.push(token);
      return token;
    };
    const get = async (sub: string) => {
      const token = await tokenFor(sub);
      return worker.fetch("/", { headers: { authorization: `Bearer ${token}` } });
    };
    expect((await get("alice")).status).toBe(200);
    const next = await generateKey("ES256", Date.now(), cryptoRandom);
    keyring = expectOk(
      activateKey(expectOk(publishKey(keyring, next, Date.now())), next.kid, Date.now()),
    );
    await worker.advance(1_100); // the unknown-kid cooldown
    expect((await get("bob")).status).toBe(200); // a kid it had not seen: one reload, then 200
    // The JWKS hangs (its reload runs in the background), then fails: the last good set serves.
    proxy.setFault({ kind: "delay", ms: 60_000 });
    await worker.advance(1_100); // past the 1 s TTL
    const slow = await timed(() => get("carol"));
    expect(slow.response.status).toBe(200);
    expect(slow.ms).toBeLessThan(30_000);
    proxy.setFault({ kind: "error", status: 503 });
    await worker.advance(6_000);
    expect((await get("dave")).status).toBe(200);
    proxy.setFault({ kind: "none" });
  });
});
