import { randomUUID } from "node:crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { MemoryAuditJournal } from "../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../shared/events/events.ts";
import { createIssuer } from "../../../shared/issuing/issuer.ts";
import { DAY, HOUR, SECOND } from "../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { rotationJournal } from "../../../shared/operations/journal.ts";
import { revoke } from "../../../shared/operations/revocations.ts";
import { rollbackKeys } from "../../../shared/operations/rollback.ts";
import { rotate } from "../../../shared/operations/rotate.ts";
import { tick } from "../../../shared/operations/tick.ts";
import { guardRevocations } from "../../../shared/revocation/guard.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { createVerifier } from "../../../shared/tokens/verifier.ts";
import { MemoryUsageStore, UsageRecorder } from "../../../shared/usage/counts.ts";
import { createAuthenticator } from "../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../shared/verification/keyring-cache.ts";
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
/** The login service's issuer reloads the keyring this often (its default). */
const ISSUER_TTL_MS = 60 * SECOND;

describe("a simulated year (Secrets Manager in moto, revocations in Upstash)", () => {
  it("rotates four times on schedule without refusing a valid login, and an emergency logs everyone out at once", async () => {
    const services = inject("services");
    // The year starts now: Upstash expires entries in real time, so simulated time runs ahead of it.
    const start = Date.now();
    const clock = { t: start, now: () => clock.t };
    const timing = { maxTokenLifetimeSeconds: TOKEN_LIFETIME_S, clockToleranceSeconds: 5 };
    const policy = resolvePolicy();
    const prefix = `keyward/${randomUUID()}`;
    const usageStore = new MemoryUsageStore();
    const deps = {
      keyringName: "signing" as const,
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
    // The login service: keyward/issuer with its own keyring cache, as deployed.
    const issuer = createIssuer({
      keyring: { load: () => deps.keyrings.load() },
      cacheTtlSeconds: ISSUER_TTL_MS / SECOND,
      clock,
      lifetimeSeconds: TOKEN_LIFETIME_S,
      maxLifetimeSeconds: TOKEN_LIFETIME_S,
    });

    /** Every key the emergency compromised, and when the issuer signed a login with one. */
    const compromised = new Set<string>();
    const lagLogins: number[] = [];
    // Each user holds a token, presents it every step, and logs in again when it expires.
    const tokens: { token: string; kid: string; expMs: number }[] = [];
    const login = async (i: number) => {
      const { token, kid, expiresAt } = await issuer.issue({ sub: `user-${i}` });
      tokens[i] = { token, kid, expMs: Date.parse(expiresAt) };
      if (compromised.has(kid)) lagLogins.push(clock.t);
    };
    for (let i = 0; i < USERS; i++) await login(i);

    let refusedValid = 0;
    let refusedNewLogins = 0;
    let passwordChanges = 0;
    /**
     * Logs user i in 1 ms after `t` (in the same second as a cut-off at `t`). The token must work,
     * unless the issuer, its keyring younger than its TTL, signed it with a key the emergency
     * compromised: then it must be refused (and the user logs in again at the next refusal).
     */
    const loginRightAfter = async (i: number, t: number) => {
      clock.t = t + 1;
      await login(i);
      const { ok } = await authenticate(tokens[i]!.token);
      if (compromised.has(tokens[i]!.kid)) {
        if (ok) throw new Error("a token signed with a compromised key was accepted");
      } else if (!ok) refusedNewLogins++;
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
        // The worst case for the issuer: it loaded the keyring for a login just before.
        clock.t = t - 1;
        await login(USERS);
        clock.t = t;
        expect(
          await rotate(deps, { mode: "immediate", reason: "drill: leaked key", actor: "test" }),
        ).toMatchObject({ ok: true });
        for (const key of (await deps.keyrings.load())!.keys)
          if (key.compromised) compromised.add(key.kid);
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
        const leaked = compromised.has(held.kid);
        if (result.ok) {
          usage.record(result.kid, t);
          if (leaked) throw new Error(`a token of a compromised key was accepted on day ${day}`);
        } else if (leaked) {
          refusedAfterEmergency.add(i);
          await loginRightAfter(i, t);
        } else {
          refusedValid++;
        }
      }
      if (t === emergencyAt) {
        // Once its keyring is as old as its TTL, the issuer signs with the new key.
        clock.t = t - 1 + ISSUER_TTL_MS;
        await login(USERS);
        expect(compromised.has(tokens[USERS]!.kid)).toBe(false);
        expect((await authenticate(tokens[USERS]!.token)).ok).toBe(true);
      }
    }

    expect(refusedValid).toBe(0);
    expect(passwordChanges).toBe(PASSWORD_CHANGE_DAYS.size);
    expect(refusedNewLogins).toBe(0);
    expect(refusedAfterEmergency.size).toBe(USERS);
    // In the emergency's first minute the issuer signed with the compromised key (the drill's
    // login, and the users' whose tokens expired at that step): each of those tokens was refused
    // at its next request, and its user logged in again.
    expect(lagLogins).toHaveLength(USERS + 1);
    for (const at of lagLogins) expect(at - emergencyAt).toBeLessThan(ISSUER_TTL_MS);
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
