import { randomUUID } from "node:crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { MemoryAuditJournal } from "../../../shared/audit/memory.ts";
import { createAuthenticator } from "../../../shared/authenticate.ts";
import { DAY, HOUR } from "../../../shared/clock.ts";
import { MemoryEventPublisher } from "../../../shared/events.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { KeyringCache } from "../../../shared/keyring-cache.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { rotationJournal } from "../../../shared/operations/journal.ts";
import { rollbackKeys, rotate } from "../../../shared/operations/keys.ts";
import { revoke } from "../../../shared/operations/revocations.ts";
import { tick } from "../../../shared/operations/tick.ts";
import { guardRevocations } from "../../../shared/revocation/guard.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../shared/tokens/verifier.ts";
import { MemoryUsageStore, UsageRecorder } from "../../../shared/usage/counts.ts";
import { secretsManagerClient } from "../../support/aws.ts";
import { seededRandom } from "../../support/deterministic.ts";
import { newKeyring } from "../../support/keyrings.ts";

const STEP = 6 * HOUR;
const USERS = 12;
const TOKEN_LIFETIME_S = 24 * 3600;
/**
 * An emergency or a rollback restarts the 90-day schedule, so for four scheduled rotations in the
 * year the emergency comes first (day 1: rotations on days 91, 181, 271, 361) and the rollback last,
 * within the grace of the fourth rotation's previous key (usage figures retire it after 7 days).
 */
const EMERGENCY_DAY = 1;
const ROLLBACK_DAY = 362;
/** A user changes their password (revoke the subject, log in at once) on these days. */
const PASSWORD_CHANGE_DAYS = new Set([30, 120, 210, 300]);

describe("a simulated year (Secrets Manager in moto, revocations in Upstash)", () => {
  it("rotates four times on schedule without refusing a valid token, and an emergency logs everyone out at once", async () => {
    const services = inject("services");
    // The year starts now: Upstash expires entries in real time, so simulated time runs ahead of it.
    const start = Date.now();
    const clock = { t: start, now: () => clock.t };
    const timing = { maxTokenLifetimeSeconds: TOKEN_LIFETIME_S, clockToleranceSeconds: 5 };
    const policy = resolvePolicy();
    const prefix = `keyward/${randomUUID()}`;
    const usageStore = new MemoryUsageStore();
    const deps = {
      keyrings: new SecretsManagerKeyringStore({
        client: secretsManagerClient(services.motoUrl),
        prefix,
        clock,
      }),
      revocations: new UpstashRevocationStore({
        url: services.upstashUrl,
        token: services.upstashToken,
        timing,
        prefix: `y${randomUUID()}:`,
        budgetMs: 2_000,
      }),
      audit: new MemoryAuditJournal(),
      events: new MemoryEventPublisher(),
      clock,
      random: seededRandom("year"),
      policy,
      timing,
      usage: usageStore,
    };
    const first = await newKeyring("HS256", start, deps.random);
    await deps.keyrings.save(first);
    const authenticate = createAuthenticator({
      keyrings: new KeyringCache({
        load: () => deps.keyrings.load(),
        clock,
        ttlMs: policy.keyringCacheTtlMs,
      }),
      verifier: createVerifier({ clockToleranceSeconds: 0 }),
      revocations: guardRevocations(deps.revocations),
      clock,
    });
    const usage = new UsageRecorder(usageStore, start, HOUR);
    const signer = createSigner({
      lifetimeSeconds: TOKEN_LIFETIME_S,
      maxLifetimeSeconds: TOKEN_LIFETIME_S,
    });

    // Each user holds a token, presents it every step, and logs in again when it expires.
    const tokens: { token: string; expMs: number; issuedAt: number }[] = [];
    const login = async (i: number) => {
      const keyring = (await deps.keyrings.load())!;
      tokens[i] = {
        token: await signer.sign(keyring, { sub: `user-${i}` }, clock.t),
        // exp is whole seconds: iat (the login's second) plus the lifetime.
        expMs: (Math.floor(clock.t / 1000) + TOKEN_LIFETIME_S) * 1000,
        issuedAt: clock.t,
      };
    };
    for (let i = 0; i < USERS; i++) await login(i);

    let refusedValid = 0;
    let refusedNewLogins = 0;
    let passwordChanges = 0;
    /** Logs user i in 1 ms after `t` (in the same second as a cut-off at `t`); the token must work. */
    const loginRightAfter = async (i: number, t: number) => {
      clock.t = t + 1;
      await login(i);
      if (!(await authenticate(tokens[i]!.token)).ok) refusedNewLogins++;
      clock.t = t;
    };
    let emergencyAt = Number.POSITIVE_INFINITY;
    const refusedAfterEmergency = new Set<number>();
    for (let t = start + STEP; t <= start + 365 * DAY; t += STEP) {
      clock.t = t;
      const day = Math.floor((t - start) / DAY);
      await usage.flush(t);
      await tick(deps, t);
      // The drills, after the step's tick.
      if (day === EMERGENCY_DAY && emergencyAt === Number.POSITIVE_INFINITY) {
        expect(
          await rotate(deps, { mode: "immediate", reason: "drill: leaked key", actor: "test" }),
        ).toMatchObject({ ok: true });
        emergencyAt = t;
        await loginRightAfter(USERS, t);
      }
      if (PASSWORD_CHANGE_DAYS.has(day) && (t - start) % DAY === 0) {
        const old = tokens[0]!.token;
        await revoke(deps, {
          targets: [{ kind: "subject", sub: "user-0" }],
          reason: "password changed",
          actor: "test",
        });
        expect((await authenticate(old)).ok).toBe(false);
        await loginRightAfter(0, t);
        passwordChanges++;
      }
      if (
        day === ROLLBACK_DAY &&
        deps.audit &&
        !(await deps.audit.read()).entries.some((e) => e.action === "rollback")
      ) {
        expect(
          await rollbackKeys(deps, { reason: "drill: rollback", actor: "test" }),
        ).toMatchObject({ ok: true });
      }
      for (let i = 0; i < USERS; i++) {
        const held = tokens[i]!;
        if (held.expMs <= t) {
          await login(i);
          continue;
        }
        const result = await authenticate(held.token);
        if (result.ok) {
          usage.record(result.kid, t);
          if (held.issuedAt <= emergencyAt && t >= emergencyAt)
            throw new Error(`a token from before the emergency was accepted on day ${day}`);
        } else if (held.issuedAt <= emergencyAt && t >= emergencyAt) {
          refusedAfterEmergency.add(i);
          await loginRightAfter(i, t);
        } else {
          refusedValid++;
        }
      }
    }

    expect(refusedValid).toBe(0);
    expect(passwordChanges).toBe(PASSWORD_CHANGE_DAYS.size);
    expect(refusedNewLogins).toBe(0);
    expect(refusedAfterEmergency.size).toBe(USERS);
    const events = deps.events.published.map((e) => e.type);
    expect(events.filter((e) => e === "KeyActivated")).toHaveLength(4);
    expect(events).toContain("EmergencyRotation");
    expect(events).toContain("KeyRolledBack");
    expect(events.filter((e) => e === "RotationFailed")).toEqual([]);
    const journal = await rotationJournal({ audit: deps.audit, usage: usageStore }, start);
    expect(journal.map((r) => [r.trigger, r.selfTest])).toEqual([
      ["emergency", "passed"],
      ["scheduled", "passed"],
      ["scheduled", "passed"],
      ["scheduled", "passed"],
      ["scheduled", "passed"],
      ["rollback", "not run"],
    ]);
    const destroyed = (await deps.keyrings.load())!.keys.filter((k) => k.status === "destroyed");
    expect(destroyed.length).toBeGreaterThanOrEqual(3);
    for (const key of destroyed) {
      const read = await secretsManagerClient(services.motoUrl)
        .send(new GetSecretValueCommand({ SecretId: `${prefix}/keys/${key.kid}` }))
        .then(
          () => "readable",
          (error: Error) => error.name,
        );
      expect(read).toBe("ResourceNotFoundException");
    }
  }, 600_000);
});
