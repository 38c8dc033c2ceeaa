import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createAuthorizer } from "../../../../functions/authorizer/authorizer.ts";
import { DAY } from "../../../../shared/kernel/clock.ts";
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

  it("writes its figures as embedded metrics: a request after a quiet second at once, then a line a second per outcome, reason and key", async () => {
    const { handler, token, lines, clock } = await setup();
    await handler(httpApiEvent({ authorization: `Bearer ${await token()}` }));
    const [first] = metricLines(lines);
    expect(first).toMatchObject({
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
    expect(first.Latency).toEqual([expect.any(Number)]);
    expect(first.RevocationLatency).toEqual([expect.any(Number)]);
    expect(first._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: "RevocationLatency",
      Unit: "Milliseconds",
    });
    // Within the second: counted, not yet written.
    for (let i = 0; i < 3; i++)
      await handler(httpApiEvent({ authorization: `Bearer ${await token()}` }));
    await handler(httpApiEvent({}));
    expect(metricLines(lines)).toHaveLength(1);
    clock.t += 1000;
    await handler(httpApiEvent({}));
    const [, allowed, refused] = metricLines(lines);
    expect(allowed).toMatchObject({ Outcome: "allow", Requests: 3 });
    expect(allowed.Latency).toHaveLength(3);
    expect(refused).toMatchObject({
      Outcome: "deny",
      Reason: "token_missing",
      KeyStatus: "none",
      Requests: 2,
    });
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
