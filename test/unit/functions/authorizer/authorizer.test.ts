import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAuthorizer } from "../../../../functions/authorizer/authorizer.ts";
import { readVerifierConfig } from "../../../../shared/config/verifier-config.ts";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { retireKey } from "../../../../shared/keyring/transitions.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { createLogger } from "../../../../shared/observability/log.ts";
import { type FailureMode, guardRevocations } from "../../../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { type RevocationStore, StoreUnavailable } from "../../../../shared/revocation/store.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { createAuthenticator } from "../../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import {
  httpApiEvent,
  METHOD_ARN,
  restRequestEvent,
  restTokenEvent,
} from "../../../support/authorizer-events.ts";
import { T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

/** A store that cannot answer: the memory store never fails, so the fault is injected. */
const downStore: RevocationStore = {
  revoke: async () => [],
  check: async () => {
    throw new StoreUnavailable("injected: revocation store down");
  },
};

async function setup(
  options: {
    failureMode?: FailureMode;
    revocations?: RevocationStore;
    cookie?: string;
    noKeyring?: boolean;
  } = {},
) {
  const clock = { t: T0 + 1000, now: () => clock.t };
  const keyrings = new MemoryKeyringStore();
  const keyring = await newKeyring("ES256");
  await keyrings.save(keyring);
  const memory = new MemoryRevocationStore(timing, clock);
  const lines: string[] = [];
  const usage: [string, string][] = [];
  const handler = createAuthorizer({
    authenticate: createAuthenticator({
      keyrings: new KeyringCache({
        load: async () => (options.noKeyring ? undefined : keyrings.load()),
        clock,
      }),
      verifier: createVerifier(),
      revocations: guardRevocations(options.revocations ?? memory, options.failureMode),
      clock,
    }),
    tokenSource: {
      header: "authorization",
      ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
    },
    log: createLogger("test", (line) => lines.push(line), clock.now),
    writeMetrics: (line) => lines.push(line),
    now: clock.now,
    recordUsage: (kid, outcome) => usage.push([kid, outcome]),
  });
  const token = (claims: Record<string, unknown> = {}, sub = "alice") =>
    createSigner().sign(keyring, { sub, claims: { scope: "orders:read", ...claims } }, clock.t);
  return { clock, keyrings, keyring, memory, handler, lines, token, usage };
}

const metricLines = (lines: string[]) =>
  lines.map((l) => JSON.parse(l)).filter((l) => l._aws !== undefined);

describe("the authorizer", () => {
  it("allows a REST TOKEN request with an IAM policy for the method, principal = sub", async () => {
    const { handler, token, keyring } = await setup();
    const answer = await handler(restTokenEvent(`Bearer ${await token()}`));
    expect(answer).toMatchObject({
      principalId: "alice",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: METHOD_ARN }],
      },
      context: {
        sub: "alice",
        kid: keyring.keys[0]!.kid,
        scope: "orders:read",
        keyStatus: "current",
        legacy: false,
      },
    });
    expect((answer as { context: { jti: string } }).context.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("answers HTTP API payload 2.0 with simple responses", async () => {
    const { handler, token } = await setup();
    expect(await handler(httpApiEvent({ authorization: `Bearer ${await token()}` }))).toMatchObject(
      {
        isAuthorized: true,
        context: { sub: "alice", keyStatus: "current" },
      },
    );
    expect(await handler(httpApiEvent({ authorization: "Bearer nope" }))).toEqual({
      isAuthorized: false,
    });
  });

  it("refuses a REST request with Unauthorized, which API Gateway answers as 401", async () => {
    const { handler } = await setup();
    await expect(handler(restTokenEvent("Bearer not.a.token"))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(restRequestEvent({}))).rejects.toThrow(/^Unauthorized$/);
    await expect(handler({ hello: "world" })).rejects.toThrow(/^Unauthorized$/);
  });

  it("reads the token from a configured cookie", async () => {
    const { handler, token } = await setup({ cookie: "session" });
    const answer = await handler(
      restRequestEvent({ Cookie: `theme=dark; session=${await token()}` }),
    );
    expect(answer).toMatchObject({ principalId: "alice" });
  });

  it("refuses revoked tokens: by token, subject, claim and all", async () => {
    for (const target of ["token", "subject", "claim", "all"] as const) {
      const { handler, token, memory, clock } = await setup();
      const t = await token({ role: "admin" });
      const claims = JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString());
      clock.t += 2000;
      const rule =
        target === "token"
          ? { kind: "token" as const, jti: claims.jti, exp: claims.exp }
          : target === "subject"
            ? { kind: "subject" as const, sub: "alice" }
            : target === "claim"
              ? { kind: "claim" as const, name: "role", value: "admin" }
              : { kind: "all" as const };
      await memory.revoke([rule], clock.t);
      expect(await handler(httpApiEvent({ authorization: `Bearer ${t}` }))).toEqual({
        isAuthorized: false,
      });
    }
  });

  it("fails closed when the revocation store is down, and open (with a metric) when configured", async () => {
    const closed = await setup({ revocations: downStore });
    expect(
      await closed.handler(httpApiEvent({ authorization: `Bearer ${await closed.token()}` })),
    ).toEqual({ isAuthorized: false });
    expect(metricLines(closed.lines)[0]).toMatchObject({
      Reason: "store_unavailable",
      RevocationStoreUnavailable: 1,
    });

    const open = await setup({ revocations: downStore, failureMode: "open" });
    expect(
      await open.handler(httpApiEvent({ authorization: `Bearer ${await open.token()}` })),
    ).toMatchObject({ isAuthorized: true });
    expect(metricLines(open.lines)[0]).toMatchObject({
      Outcome: "allow",
      Reason: "allowed_unchecked",
      RevocationStoreUnavailable: 1,
    });
  });

  it("emits one embedded-metric line per request with outcome, reason, key status, latency and keyring age", async () => {
    const { handler, token, lines } = await setup();
    await handler(httpApiEvent({ authorization: `Bearer ${await token()}` }));
    await handler(httpApiEvent({}));
    const [allowed, refused] = metricLines(lines);
    expect(allowed).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "keyward",
            Dimensions: [
              ["Function"],
              ["Function", "Outcome"],
              ["Function", "Reason"],
              ["Function", "KeyStatus"],
            ],
          },
        ],
      },
      Function: "authorizer",
      Outcome: "allow",
      Reason: "none",
      KeyStatus: "current",
      Requests: 1,
      KeyringAge: 0,
      StaleKeyring: 0,
    });
    expect(allowed.Latency).toBeGreaterThan(0);
    expect(allowed.RevocationLatency).toBeGreaterThan(0);
    expect(allowed._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: "RevocationLatency",
      Unit: "Milliseconds",
    });
    expect(refused).toMatchObject({ Outcome: "deny", Reason: "token_missing", KeyStatus: "none" });
    // Not measured, so not reported: a zero would drag the store's latency statistics down.
    expect(refused).not.toHaveProperty("RevocationLatency");
  });

  it("never writes a token to its logs or metrics, whatever the outcome", async () => {
    const outputs: string[] = [];
    const tokens: string[] = [];
    const run = async (ctx: Awaited<ReturnType<typeof setup>>, event: unknown) => {
      try {
        await ctx.handler(event);
      } catch {
        // refusals of REST events are exceptions by design
      }
    };
    const ok = await setup();
    const valid = await ok.token();
    const { privateKey } = await generateKeyPair("ES256");
    const foreign = await new SignJWT({ sub: "x", jti: "j", iat: T0 / 1000, exp: T0 / 1000 + 60 })
      .setProtectedHeader({ alg: "ES256", kid: "unknownKid" })
      .sign(privateKey);
    const tampered = `${valid.slice(0, -4)}AAAA`;
    tokens.push(valid, foreign, tampered);
    await run(ok, restTokenEvent(`Bearer ${valid}`)); // none (allowed)
    await run(ok, httpApiEvent({ authorization: `Bearer ${tampered}` })); // signature_invalid
    await run(ok, restTokenEvent(`Bearer ${foreign}`)); // unknown_kid
    await run(ok, restTokenEvent(`Bearer ${valid}.extra`)); // malformed
    await run(ok, restTokenEvent(valid)); // token_missing: no Bearer scheme
    await run(ok, { type: "TOKEN", authorizationToken: `Bearer ${valid}` }); // malformed event
    ok.clock.t += DAY;
    await run(ok, restTokenEvent(`Bearer ${valid}`)); // expired
    const revoked = await ok.token();
    tokens.push(revoked);
    ok.clock.t += 1000;
    await ok.memory.revoke([{ kind: "all" }], ok.clock.t);
    await run(ok, restTokenEvent(`Bearer ${revoked}`)); // revoked
    outputs.push(...ok.lines);

    for (const options of [
      { revocations: downStore },
      { revocations: downStore, failureMode: "open" as const },
      { noKeyring: true },
    ]) {
      const ctx = await setup(options);
      const token = await ctx.token();
      tokens.push(token);
      await run(ctx, restTokenEvent(`Bearer ${token}`)); // store_unavailable, allowed_unchecked, keyring_unavailable
      outputs.push(...ctx.lines);
    }

    const reasons = new Set(
      outputs
        .map((l) => JSON.parse(l))
        .filter((l) => l._aws)
        .map((l) => l.Reason),
    );
    expect(reasons).toEqual(
      new Set([
        "none",
        "signature_invalid",
        "unknown_kid",
        "malformed",
        "token_missing",
        "expired",
        "revoked",
        "store_unavailable",
        "allowed_unchecked",
        "keyring_unavailable",
      ]),
    );
    const everything = outputs.join("\n");
    expect(everything.length).toBeGreaterThan(1000);
    for (const t of tokens) {
      expect(everything).not.toContain(t);
      expect(everything).not.toContain(t.split(".")[2]);
    }
  });

  it("refuses with key_retired once the keyring says so, from the reload after the cache TTL, and counts it against the key", async () => {
    const { handler, token, keyrings, keyring, clock, usage } = await setup();
    const t = await token();
    expect(await handler(httpApiEvent({ authorization: `Bearer ${t}` }))).toMatchObject({
      isAuthorized: true,
    });
    const published = await newKeyring("HS256", clock.t);
    const next = expectOk(
      retireKey(
        {
          ...keyring,
          keys: [
            { ...keyring.keys[0]!, status: "previous", deactivatedAt: clock.t },
            { ...published.keys[0]! },
          ],
        },
        keyring.keys[0]!.kid,
        clock.t,
      ),
    );
    await keyrings.save({ ...next, revision: keyring.revision + 1 });
    clock.t += 60_000;
    // The cached keyring answers while the reload it started runs in the background.
    expect(await handler(httpApiEvent({ authorization: `Bearer ${t}` }))).toMatchObject({
      isAuthorized: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await handler(httpApiEvent({ authorization: `Bearer ${t}` }))).toEqual({
      isAuthorized: false,
    });
    const kid = keyring.keys[0]!.kid;
    expect(usage).toEqual([
      [kid, "verified"],
      [kid, "verified"],
      [kid, "refused"],
    ]);
    await handler(httpApiEvent({ authorization: "Bearer not-a-token" }));
    expect(usage).toHaveLength(3);
  });
});

describe("authorizer configuration", () => {
  it("reports every missing or invalid setting at once, by name", () => {
    let problems: readonly string[] = [];
    try {
      readVerifierConfig({
        KEYWARD_REVOCATION_FAILURE_MODE: "sometimes",
        KEYWARD_REVOCATION_BUDGET_MS: "fast",
        KEYWARD_KEYRING_CACHE_TTL_SECONDS: "0",
        UPSTASH_REDIS_REST_URL: "ftp://x",
        KEYWARD_TOKEN_HEADER: "bad header",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigInvalid);
      problems = (error as ConfigInvalid).problems;
    }
    expect(problems).toEqual([
      "KEYWARD_SECRET_PREFIX is required: the Secrets Manager name prefix of the keyring, e.g. keyward/prod",
      "UPSTASH_REDIS_REST_URL must be an http(s) URL",
      'KEYWARD_UPSTASH_SECRET_ID (a secret holding {"url","token"}) or both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required',
      "KEYWARD_TOKEN_HEADER must be an HTTP header name",
      "KEYWARD_KEYRING_CACHE_TTL_SECONDS must be a whole number from 1 to 3600",
      "KEYWARD_REVOCATION_BUDGET_MS must be a whole number from 10 to 5000",
      "KEYWARD_REVOCATION_FAILURE_MODE must be one of closed, open",
    ]);
  });

  it("never repeats a value it was given", () => {
    try {
      readVerifierConfig({
        KEYWARD_SECRET_PREFIX: "p",
        UPSTASH_REDIS_REST_URL: "not a url s3cr3t",
        KEYWARD_REVOCATION_BUDGET_MS: "s3cr3t",
      });
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cr3t");
    }
  });

  it("refuses a freshness bound and budget that together break the 1 s promise, and a Redis prefix a pattern would misread", () => {
    const base = { KEYWARD_SECRET_PREFIX: "keyward/prod", KEYWARD_UPSTASH_SECRET_ID: "u" };
    expect(() =>
      readVerifierConfig({
        ...base,
        KEYWARD_REVOCATION_FRESHNESS_MS: "950",
        KEYWARD_REVOCATION_BUDGET_MS: "100",
        KEYWARD_REDIS_PREFIX: "kw[1]:",
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          "KEYWARD_REDIS_PREFIX must be 1 to 64 characters from A-Z a-z 0-9 : _ . -",
          "KEYWARD_REVOCATION_FRESHNESS_MS plus KEYWARD_REVOCATION_BUDGET_MS must be at most 1000: a revocation is enforced within 1 s of its answer (lower the freshness bound, or set KEYWARD_REVOCATION_MIRROR=off)",
        ],
      }),
    );
    // Without the mirror every check reads the store: the budget may be longer.
    expect(
      readVerifierConfig({
        ...base,
        KEYWARD_REVOCATION_MIRROR: "off",
        KEYWARD_REVOCATION_BUDGET_MS: "2000",
      }).revocationBudgetMs,
    ).toBe(2000);
  });

  it("accepts a minimal configuration with documented defaults", () => {
    expect(
      readVerifierConfig({
        KEYWARD_SECRET_PREFIX: "keyward/prod",
        KEYWARD_UPSTASH_SECRET_ID: "keyward/prod/upstash",
      }),
    ).toEqual({
      keys: { kind: "secrets", prefix: "keyward/prod" },
      upstash: { kind: "secret", secretId: "keyward/prod/upstash" },
      redisPrefix: "kw:",
      clockToleranceSeconds: 5,
      maxTokenLifetimeSeconds: 86_400,
      keyringCacheTtlSeconds: 60,
      keyringMaxStaleSeconds: 900,
      unknownKidCooldownSeconds: 10,
      unknownKidWaitMs: 1000,
      revocationBudgetMs: 100,
      failureMode: "closed",
      revocationMirror: true,
      revocationFreshnessMs: 900,
      revocationMirrorMaxRules: 200_000,
      tokenHeader: "authorization",
    });
  });
});
