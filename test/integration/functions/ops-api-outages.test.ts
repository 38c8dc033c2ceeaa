import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createOpsApp } from "../../../functions/ops-api/app.ts";
import { sha256 } from "../../../functions/ops-api/operators.ts";
import { UpstashAuditJournal } from "../../../shared/audit/upstash.ts";
import { systemClock } from "../../../shared/clock.ts";
import { MemoryEventPublisher } from "../../../shared/events.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import type { OperationDeps } from "../../../shared/operations/deps.ts";
import { cryptoRandom } from "../../../shared/random.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { secretsManagerClient } from "../../support/aws.ts";
import { startProxy } from "../../support/http-proxy.ts";
import { newKeyring } from "../../support/keyrings.ts";
import { freePort } from "../../support/processes.ts";
import { startUpstashRest } from "../../support/services.ts";

const CREDENTIAL = "outage-test-credential-0123456789ab";
const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

/** The ops API on real stores: Secrets Manager at `motoUrl`, Upstash through its own REST server. */
async function opsApi(motoUrl: string) {
  const server = await startUpstashRest(inject("services").redisUrl);
  const proxy = await startProxy(server.url);
  const upstash = { url: proxy.url, token: server.token };
  const prefix = `a${randomUUID()}:`;
  const keyrings = new SecretsManagerKeyringStore({
    client: secretsManagerClient(motoUrl),
    prefix: `keyward/${randomUUID()}`,
  });
  const deps: OperationDeps = {
    keyrings,
    revocations: new UpstashRevocationStore({ ...upstash, timing, prefix, budgetMs: 2_000 }),
    audit: new UpstashAuditJournal(upstash, undefined, prefix),
    events: new MemoryEventPublisher(),
    clock: systemClock,
    random: cryptoRandom,
    policy: resolvePolicy(),
    timing,
  };
  const app = createOpsApp(deps, {
    operators: [{ name: "oncall", role: "admin", tokenSha256: await sha256(CREDENTIAL) }],
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${CREDENTIAL}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, headers: answer.headers, body: await answer.json() };
  };
  const stop = async () => {
    await proxy.stop();
    await server.process.stop();
  };
  return { call, keyrings, proxy, stop };
}

describe("the ops API when a store is down (real stores, the outage made by stopping them)", () => {
  it("answers 503 store_unavailable with Retry-After when Secrets Manager cannot be reached", async () => {
    const { call, stop } = await opsApi(`http://127.0.0.1:${await freePort()}`);
    try {
      for (const [method, path, body] of [
        ["GET", "/v1/keys"],
        ["POST", "/v1/keys/rotate", { reason: "scheduled" }],
      ] as const) {
        const answer = await call(method, path, body);
        expect({ path, status: answer.status, body: answer.body }).toMatchObject({
          path,
          status: 503,
          body: { error: { code: "store_unavailable" } },
        });
        expect(answer.headers.get("retry-after")).toBe("5");
      }
    } finally {
      await stop();
    }
  });

  it("answers a revocation with 503 within its 2 s write budget when Upstash hangs (delay injected at a proxy)", async () => {
    const { call, keyrings, proxy, stop } = await opsApi(inject("services").motoUrl);
    await keyrings.save(await newKeyring("HS256", Date.now()));
    expect(await call("POST", "/v1/revocations", { sub: "alice", reason: "r" })).toMatchObject({
      status: 201,
    });
    proxy.setFault({ kind: "delay", ms: 15_000 });
    const started = performance.now();
    const answer = await call("POST", "/v1/revocations", { sub: "bob", reason: "r" });
    const tookMs = performance.now() - started;
    await stop();
    expect(answer).toMatchObject({ status: 503, body: { error: { code: "store_unavailable" } } });
    expect(answer.headers.get("retry-after")).toBe("5");
    // Generous against a loaded machine; before the budget it took about 12 s.
    expect(tookMs).toBeLessThan(4_000);
  });
});
