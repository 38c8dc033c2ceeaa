import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { activateKey, retireKey } from "../../../../shared/keyring/transitions.ts";
import { localCustody } from "../../../../shared/keyring-store/custody.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { opsFixture } from "../../../support/ops.ts";
import { receiptOf } from "../../../support/receipts.ts";
import { usageCounts } from "../../../support/usage.ts";

const reason = "incident 42";

describe("the ops API: keys", () => {
  it("lists metadata, never material, with each key's next transition", async () => {
    const { call, keyring } = await opsFixture();
    const answer = await call("GET", "/v1/keys");
    expect(answer.status).toBe(200);
    expect(answer.body.keys).toEqual([
      expect.objectContaining({
        kid: keyring!.keys[0]!.kid,
        status: "current",
        share: null,
        next: expect.objectContaining({ action: "publish-successor" }),
      }),
    ]);
    expect(JSON.stringify(answer.body)).not.toContain(keyring!.keys[0]!.jwk!.d!);
  });

  it("reports each key's share of the last day's verifications among this keyring's keys", async () => {
    const usage = new MemoryUsageStore();
    const { call, keyring, keyrings, clock } = await opsFixture({ usage });
    await call("POST", "/v1/keys/rotate", { mode: "graceful", reason });
    const pending = (await keyrings.load())!.keys[1]!.kid;
    // A kid of another keyring (the sessions keyring's opens) is counted in the same figures.
    await usage.add(
      usageCounts({ [keyring!.keys[0]!.kid]: 3, [pending]: 1, "a-sessions-kid": 4 }),
      clock.t,
    );
    expect((await call("GET", "/v1/keys")).body.keys).toEqual([
      expect.objectContaining({ share: 0.75 }),
      expect.objectContaining({ share: 0.25 }),
    ]);
  });

  it("rotates gracefully (202, pending), refuses a second rotation in progress (409), and audits and publishes", async () => {
    const { call, keyrings, audit, events } = await opsFixture();
    const first = await call("POST", "/v1/keys/rotate", { mode: "graceful", reason });
    expect(first).toMatchObject({
      status: 202,
      body: { mode: "graceful", activatesAt: expect.any(String) },
    });
    expect((await keyrings.load())!.keys.map((k) => k.status)).toEqual(["current", "pending"]);
    expect(await call("POST", "/v1/keys/rotate", { reason })).toMatchObject({
      status: 409,
      body: { error: { code: "rotation_in_progress" } },
    });
    const journal = (await audit.read()).entries;
    expect(journal.map((e) => [e.action, e.result, e.actor])).toEqual([
      ["rotate.graceful", "refused", "admin-op"],
      ["rotate.graceful", "ok", "admin-op"],
    ]);
    // The refusal names no key: none was created.
    const kids = (await keyrings.load())!.keys.map((k) => k.kid);
    expect(journal[0]?.target === undefined || kids.includes(journal[0].target)).toBe(true);
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated"]);
  });

  it("takes one of 10 concurrent emergency rotations and answers the other nine 409 naming the key it made", async () => {
    const { call, keyrings, memory, clock } = await opsFixture();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        call("POST", "/v1/keys/rotate", { mode: "immediate", reason }),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    const kid = won[0]?.body.kid as string;
    const lost = answers.filter((a) => a.status !== 200);
    expect(lost).toHaveLength(9);
    for (const answer of lost)
      expect(answer).toMatchObject({
        status: 409,
        body: { error: { code: "emergency_in_progress", message: expect.stringContaining(kid) } },
      });
    const keyring = (await keyrings.load())!;
    expect(keyring.keys.filter((k) => !k.compromised).map((k) => k.kid)).toEqual([kid]);
    // The winner's key signs, and no rule refuses its logins.
    expect((await memory.check({ kid, issuedAtMs: clock.now() + 1, claims: {} })).revoked).toBe(
      false,
    );
    // Past the window, a second emergency is taken.
    clock.t += 61_000;
    expect(await call("POST", "/v1/keys/rotate", { mode: "immediate", reason })).toMatchObject({
      status: 200,
    });
  });

  it("rotates immediately: new current key, others compromised, earlier tokens revoked at once", async () => {
    const { call, keyrings, keyring, clock, events } = await opsFixture();
    const token = await createSigner().sign(keyring!, { sub: "alice" }, clock.t);
    clock.t += 1000;
    const answer = await call("POST", "/v1/keys/rotate", { mode: "immediate", reason });
    expect(answer).toMatchObject({ status: 200, body: { mode: "immediate" } });
    expect(events.published).toEqual([
      expect.objectContaining({
        type: "EmergencyRotation",
        detail: expect.objectContaining({ compromised: [keyring!.keys[0]!.kid] }),
      }),
    ]);
    const stored = (await keyrings.load())!;
    expect(stored.keys.map((k) => [k.status, k.compromised])).toEqual([
      ["retired", true],
      ["current", false],
    ]);
    expect(await call("GET", `/v1/revocations/check?sub=alice`)).toMatchObject({
      body: { revoked: true, rule: "all" },
    });
    // The key rule: verifiers that still cache the old key as current refuse its tokens too.
    expect(await call("GET", `/v1/revocations/check?kid=${keyring!.keys[0]!.kid}`)).toMatchObject({
      body: { revoked: true, rule: "kid" },
    });
    expect(await call("GET", `/v1/revocations/check?kid=${stored.keys[1]!.kid}`)).toMatchObject({
      body: { revoked: false },
    });
    expect(await call("GET", `/v1/revocations/check?token=${token}`)).toMatchObject({
      status: 200,
      body: { revoked: false, message: expect.stringContaining("no longer verifies") },
    });
  });

  it("rolls back to the previous key, and refuses when there is none", async () => {
    const { call, keyrings, clock } = await opsFixture();
    expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
      status: 409,
      body: { error: { code: "no_previous_key" } },
    });
    await call("POST", "/v1/keys/rotate", { reason });
    clock.t += 3 * MINUTE;
    const { resolvePolicy } = await import("../../../../shared/keyring/policy.ts");
    const { applyPlan } = await import("../../../../shared/keyring/plan.ts");
    const { seededRandom } = await import("../../../support/deterministic.ts");
    const activated = await applyPlan(
      (await keyrings.load())!,
      clock.t,
      undefined,
      resolvePolicy(),
      localCustody(seededRandom("x")).create,
    );
    await keyrings.save(activated.keyring);
    const before = activated.keyring.keys.find((k) => k.status === "previous")!.kid;
    expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
      status: 200,
      body: { current: before },
    });
  });

  it("imports a legacy secret (201) given its tokens' lifetime, and refuses a second one (409)", async () => {
    const { call } = await opsFixture();
    const secret = "legacy-secret-that-is-long-enough-1234";
    expect(await call("POST", "/v1/keys/import", { secret, reason })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("tokenLifetimeSeconds") } },
    });
    expect(
      await call("POST", "/v1/keys/import", { secret, reason, tokenLifetimeSeconds: 3600 }),
    ).toMatchObject({ status: 201, body: { status: "current", verifyOnly: false } });
    expect(
      await call("POST", "/v1/keys/import", {
        secret: "another-legacy-secret-long-enough-1234",
        reason,
        tokenLifetimeSeconds: 3600,
      }),
    ).toMatchObject({ status: 409, body: { error: { code: "legacy_key_exists" } } });
  });

  it("reads the legacy lifetime from a sample token signed with the secret, and refuses one too long for the policy", async () => {
    const secret = "legacy-secret-that-is-long-enough-1234";
    const now = Math.floor((T0 + 1000) / 1000);
    const sample = async (lifetime: number, key = secret) =>
      new SignJWT({ sub: "u", iat: now, exp: now + lifetime })
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode(key));
    const { call } = await opsFixture();
    expect(
      await call("POST", "/v1/keys/import", {
        secret,
        reason,
        sampleToken: await sample(3600, "some other secret"),
      }),
    ).toMatchObject({ status: 422, body: { error: { code: "sample_invalid" } } });
    expect(
      await call("POST", "/v1/keys/import", {
        secret,
        reason,
        sampleToken: await sample(7 * 86_400),
      }),
    ).toMatchObject({
      status: 422,
      body: {
        error: {
          code: "lifetime_too_long",
          message: expect.stringContaining("KEYWARD_MAX_TOKEN_LIFETIME_SECONDS to at least 604800"),
        },
      },
    });
    expect(
      await call("POST", "/v1/keys/import", { secret, reason, sampleToken: await sample(900) }),
    ).toMatchObject({ status: 201, body: { tokenLifetimeSeconds: 900 } });
  });

  it("imports a short secret verify-only: its tokens keep working, a generated key signs, rollback never picks it", async () => {
    const { call, keyrings, deps } = await opsFixture({ keyring: null });
    const answer = await call("POST", "/v1/keys/import", {
      secret: "short",
      reason,
      tokenLifetimeSeconds: 3600,
    });
    expect(answer).toMatchObject({
      status: 201,
      body: {
        status: "previous",
        verifyOnly: true,
        warning: expect.stringContaining("never signs"),
      },
    });
    const keyring = (await keyrings.load())!;
    const current = keyring.keys.find((k) => k.status === "current")!;
    expect(current).toMatchObject({ legacy: false });
    expect(keyring.keys.find((k) => k.kid === answer.body.kid)).toMatchObject({
      status: "previous",
      verifyOnly: true,
      legacy: true,
    });
    const now = Math.floor(deps.clock.now() / 1000);
    const legacyToken = await new SignJWT({ sub: "u", exp: now + 600 })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("short"));
    expect(await createVerifier().verify(legacyToken, keyring, deps.clock.now())).toMatchObject({
      ok: true,
      legacy: true,
      keyStatus: "previous",
    });
    expect(await call("POST", "/v1/keys/rollback", { reason })).toMatchObject({
      status: 409,
      body: { error: { code: "no_previous_key" } },
    });
  });

  it("reinstates a retired key as previous (KeyReinstated), never a compromised or unknown one", async () => {
    const start = await newKeyring("ES256", T0);
    const published = await withPending(start, "ES256", T0, seededRandom("reinstate"));
    const rotated = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 1));
    const oldKid = start.keys[0]!.kid;
    const retired = expectOk(retireKey(rotated, oldKid, T0 + 2));
    const { call, events, audit } = await opsFixture({ keyring: retired });
    expect(
      await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason }, "responder"),
    ).toMatchObject({ status: 403 });
    expect(await call("POST", "/v1/keys/not%20a%20kid/reinstate", { reason })).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
    expect(await call("POST", "/v1/keys/unknown-kid/reinstate", { reason })).toMatchObject({
      status: 404,
      body: { error: { code: "key_not_found" } },
    });
    expect(await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason })).toMatchObject({
      status: 200,
      body: { kid: oldKid, status: "previous" },
    });
    expect(events.published.at(-1)).toMatchObject({
      type: "KeyReinstated",
      detail: { kid: oldKid, reason, actor: "admin-op" },
    });
    expect((await audit.read()).entries[0]).toMatchObject({
      action: "reinstate",
      target: oldKid,
      result: "ok",
    });
    await call("POST", "/v1/keys/rotate", { mode: "immediate", reason });
    expect(await call("POST", `/v1/keys/${oldKid}/reinstate`, { reason })).toMatchObject({
      status: 409,
      body: { error: { code: "key_compromised" } },
    });
  });

  it("activates a pending key past pre-publication only when forced, by an admin, naming the live verifiers that lacked it", async () => {
    const receipts = new MemoryReceipts();
    const { call, keyrings, clock, audit } = await opsFixture({ receipts });
    await call("POST", "/v1/keys/rotate", { mode: "graceful", reason });
    const pending = (await keyrings.load())!.keys[1]!.kid;
    receipts.record(receiptOf("lagging", clock.t), clock.t);
    const path = `/v1/keys/${pending}/activate`;
    expect(await call("POST", path, { reason })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("body.force must be true") } },
    });
    expect(await call("POST", path, { force: true, reason }, "responder")).toMatchObject({
      status: 403,
    });
    expect(await call("POST", path, { force: true, reason })).toMatchObject({
      status: 409,
      body: { error: { code: "activation_not_due" } },
    });
    clock.t += 2 * MINUTE;
    expect(await call("POST", path, { force: true, reason })).toMatchObject({
      status: 200,
      body: { kid: pending, step: "activate", laggards: [expect.stringContaining("lagging")] },
    });
    expect((await keyrings.load())!.keys.map((k) => k.status)).toEqual(["previous", "current"]);
    expect((await audit.read()).entries[0]).toMatchObject({
      actor: "admin-op",
      action: "activate.forced",
      details: { live: 1, held: 0 },
    });
  });

  it("journals each rotation with its trigger, keys, phases, self-test and refusals", async () => {
    const usage = new MemoryUsageStore();
    const { call, keyring, clock } = await opsFixture({ usage });
    const oldKid = keyring!.keys[0]!.kid;
    expect(await call("GET", "/v1/journal?since=yesterday", undefined, "viewer")).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
    const rotated = await call("POST", "/v1/keys/rotate", {
      mode: "immediate",
      reason: "key leaked",
    });
    await usage.add(usageCounts({}, { [oldKid]: 7 }), clock.t);
    const answer = await call("GET", "/v1/journal?since=2026-01-01", undefined, "viewer");
    expect(answer).toMatchObject({
      status: 200,
      body: {
        since: "2026-01-01T00:00:00.000Z",
        rotations: [
          {
            trigger: "emergency",
            actor: "admin-op",
            reason: "key leaked",
            oldKid,
            newKid: rotated.body.kid,
            compromised: [oldKid],
            selfTest: "passed",
            refusedVerifications: 7,
          },
        ],
      },
    });
    const later = await call("GET", "/v1/journal?since=2026-02-01", undefined, "viewer");
    expect(later.body.rotations).toEqual([]);
  });

  it("answers a key's impact to a viewer: who verified its tokens over the last day, by consumer and verifier", async () => {
    const usage = new MemoryUsageStore();
    const { call, keyring, clock } = await opsFixture({ usage });
    const kid = keyring!.keys[0]!.kid;
    await usage.add(
      {
        ...usageCounts({ [kid]: 3 }),
        consumers: new Map([[kid, new Map([["checkout", 3]])]]),
        kind: "authorizer",
      },
      clock.t,
    );
    expect(await call("GET", `/v1/keys/${kid}/impact`, undefined, "viewer")).toMatchObject({
      status: 200,
      body: expect.objectContaining({
        kid,
        status: "current",
        verifications: 3,
        share: 1,
        consumers: [{ consumer: "checkout", verifier: "authorizer", verifications: 3 }],
      }),
    });
    expect(
      await call("GET", `/v1/keys/${"A".repeat(22)}/impact`, undefined, "viewer"),
    ).toMatchObject({
      status: 404,
      body: { error: { code: "key_not_found" } },
    });
    expect(await call("GET", "/v1/keys/not%20a%20kid/impact", undefined, "viewer")).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request" } },
    });
    expect(await call("GET", `/v1/keys/${kid}/impact`, undefined, null)).toMatchObject({
      status: 401,
    });
  });

  it("answers 404 for a key's impact where no usage figures are kept", async () => {
    const { call, keyring } = await opsFixture();
    expect(
      await call("GET", `/v1/keys/${keyring!.keys[0]!.kid}/impact`, undefined, "viewer"),
    ).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  it("plans the policy's transitions with dates", async () => {
    const { call } = await opsFixture();
    const answer = await call("GET", "/v1/plan?days=200");
    expect((answer.body.transitions as { action: string }[]).map((t) => t.action)).toEqual([
      "publish",
      "activate",
      "retire",
      "destroy",
      "publish",
      "activate",
    ]);
  });
});
