import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAuthorizerFromEnv } from "../../../functions/authorizer/wiring.ts";
import { createOpsApp } from "../../../functions/ops-api/app.ts";
import { sha256 } from "../../../shared/access/operators.ts";
import { MemoryAuditJournal } from "../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../shared/events/events.ts";
import { type Clock, systemClock } from "../../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../../shared/kernel/random.ts";
import type { Keyring } from "../../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { httpApiEvent } from "../../support/authorizer-events.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { movableClock } from "../../support/clocks.ts";
import { type CountingProxy, startProxy } from "../../support/http-proxy.ts";
import { newKeyring } from "../../support/keyrings.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
const CREDENTIAL = "responder-credential-0123456789abcdef";
const proxies: CountingProxy[] = [];
afterAll(() => Promise.all(proxies.map((p) => p.stop())));

/** Generous for a busy test machine, within the 1 s promise with the freshness bound. */
const FRESHNESS_MS = 500;

/**
 * A keyring in moto, the ops API on Upstash, and authorizers built from their environment; the
 * authorizers run on `containerClock` (default: the ops API's).
 */
async function deployment(clock: Clock, containerClock: Clock = clock) {
  const services = inject("services");
  const prefix = `keyward/${randomUUID()}`;
  const redisPrefix = `x${randomUUID()}:`;
  const upstash = { url: services.upstashUrl, token: services.upstashToken };
  const keyrings = new SecretsManagerKeyringStore({
    client: secretsManagerClient(services.motoUrl),
    prefix,
    clock,
  });
  const first = await newKeyring("HS256", clock.now(), cryptoRandom);
  await keyrings.save(first);
  const ops = createOpsApp(
    {
      keyringName: "signing",
      keyrings,
      revocations: new UpstashRevocationStore({
        ...upstash,
        timing,
        prefix: redisPrefix,
        budgetMs: 2_000,
      }),
      audit: new MemoryAuditJournal(),
      events: new MemoryEventPublisher(),
      clock,
      random: cryptoRandom,
      policy: resolvePolicy(),
      timing,
    },
    { operators: [{ name: "ic", role: "admin", tokenSha256: sha256(CREDENTIAL) }] },
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await ops.request(path, {
      method,
      headers: { authorization: `Bearer ${CREDENTIAL}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** An authorizer container; `secretsManager` is the endpoint it reads the keyring from. */
  const container = async (secretsManager: string, env: Record<string, string> = {}) => {
    const lines: string[] = [];
    const handler = await createAuthorizerFromEnv(
      {
        KEYWARD_SECRET_PREFIX: prefix,
        KEYWARD_REDIS_PREFIX: redisPrefix,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        KEYWARD_REVOCATION_FRESHNESS_MS: String(FRESHNESS_MS),
        KEYWARD_REVOCATION_BUDGET_MS: "500",
        ...motoEnvironment(secretsManager),
        ...env,
      },
      { clock: containerClock, write: (line) => lines.push(line) },
    );
    return {
      lines,
      /**
       * Whether it allows the token, and the reason its log line gives (a refusal's, or a degraded
       * allow's; an allow without a line is "none"). Metric lines are aggregated, not per request.
       */
      ask: async (token: string) => {
        const before = lines.length;
        const answer = (await handler(httpApiEvent({ authorization: `Bearer ${token}` }))) as {
          isAuthorized: boolean;
        };
        const logged = lines
          .slice(before)
          .map((l) => JSON.parse(l))
          .find((l) => !l._aws && typeof l.reason === "string");
        return { allowed: answer.isAuthorized, reason: (logged?.reason as string) ?? "none" };
      },
    };
  };
  return { first, keyrings, call, container, motoUrl: services.motoUrl };
}

describe("exact cut-offs: a login right after a revocation works (moto, local Upstash)", () => {
  it("allows a token signed in the same second right after revoke --sub, refuses one signed 1 ms before the write", async () => {
    // An ops clock that moves only when the operation waits: the test decides every instant.
    let t = Math.floor(Date.now() / 1000) * 1000 + 200;
    const clock: Clock = {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    };
    const app = await deployment(clock);
    const authorizer = await app.container(app.motoUrl);
    const signer = createSigner();
    t -= 1;
    const before = await signer.sign(app.first, { sub: "alice" }, clock.now());
    t += 1;
    const revokedAt = t;
    const answer = await app.call("POST", "/v1/revocations", {
      sub: "alice",
      reason: "password changed",
    });
    expect(answer.status).toBe(201);
    // The answer came once the clock had left the cut-off's millisecond, and no later.
    expect(t).toBe(revokedAt + 1);
    const after = await signer.sign(app.first, { sub: "alice" }, clock.now());
    const iat = (token: string) =>
      JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()).iat;
    expect(iat(after)).toBe(iat(before));
    // The revocation promise: enforced once the mirror's freshness bound has passed.
    t += FRESHNESS_MS;
    expect(await authorizer.ask(after)).toEqual({ allowed: true, reason: "none" });
    expect(await authorizer.ask(before)).toEqual({ allowed: false, reason: "revoked" });
  });
});

describe("revocation by key: an emergency refuses the leaked key everywhere (moto, local Upstash)", () => {
  let unreachable: CountingProxy;
  beforeAll(async () => {
    unreachable = await startProxy(inject("services").motoUrl);
    proxies.push(unreachable);
  });

  it("refuses tokens freshly minted with the compromised key in containers that cached it as current, one of them cut off from Secrets Manager, and allows the new key's tokens wherever its material can be read", async () => {
    // The containers' time is the test's: their TTLs and bounds pass when it says.
    const clock = movableClock();
    const app = await deployment(systemClock, clock);
    const cached = await app.container(app.motoUrl);
    const cutOff = await app.container(unreachable.url, {
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "1",
      KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS: "1",
    });
    const leaked: Keyring = app.first;
    const attacker = createSigner();
    expect(
      await cached.ask(await attacker.sign(leaked, { sub: "victim" }, Date.now())),
    ).toMatchObject({ allowed: true });
    // Secrets Manager becomes unreachable for the second container: past its TTL it serves the
    // keyring it has (stale), with the leaked key still current in it.
    await unreachable.stop();
    clock.advance(1_100);
    const beforeEmergency = await attacker.sign(leaked, { sub: "victim" }, Date.now());
    expect(await cutOff.ask(beforeEmergency)).toMatchObject({ allowed: true });
    // That request started the reload in the background; once it has failed, the keyring is stale.
    // Requests served from the stale keyring are counted by the metric (aggregated lines).
    const staleCounted = () =>
      cutOff.lines.map((l) => JSON.parse(l)).some((l) => l._aws && l.StaleKeyring > 0);
    for (let tries = 0; tries < 500 && !staleCounted(); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await cutOff.ask(beforeEmergency)).toMatchObject({ allowed: true });
    }
    expect(staleCounted()).toBe(true);

    const answer = await app.call("POST", "/v1/keys/rotate", {
      mode: "immediate",
      reason: "signing key found in a public repository",
    });
    expect(answer.status).toBe(200);
    // The attacker mints with the leaked key after the emergency: a fresh iat passes every cut-off.
    const minted = await attacker.sign(
      leaked,
      { sub: "victim", claims: { role: "admin" } },
      Date.now(),
    );
    // Each container's revocation mirror decides alone until its freshness bound, no longer.
    clock.advance(FRESHNESS_MS);
    for (const container of [cached, cutOff])
      expect(await container.ask(minted)).toEqual({ allowed: false, reason: "key_compromised" });
    const check = await app.call(
      "GET",
      `/v1/revocations/check?kid=${encodeURIComponent(leaked.keys[0]?.kid ?? "")}`,
    );
    expect(check.body).toMatchObject({ revoked: true, rule: "kid" });

    // The new key: the first container learns it by the unknown-kid reload and allows its tokens.
    // The one cut off from Secrets Manager cannot have its material and refuses them (deny on
    // doubt) until Secrets Manager answers again; then its next unknown-kid reload learns it.
    const stored = (await app.keyrings.load()) as Keyring;
    const fresh = await createSigner().sign(stored, { sub: "victim" }, Date.now());
    expect(await cached.ask(fresh)).toEqual({ allowed: true, reason: "none" });
    expect(await cutOff.ask(fresh)).toEqual({ allowed: false, reason: "unknown_kid" });
    proxies.push(await startProxy(app.motoUrl, Number(new URL(unreachable.url).port)));
    clock.advance(1_100); // the unknown-kid cooldown
    expect(await cutOff.ask(fresh)).toEqual({ allowed: true, reason: "none" });
    expect(await cutOff.ask(minted)).toEqual({ allowed: false, reason: "key_compromised" });
  });
});
