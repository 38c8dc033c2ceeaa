import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { DAY, HOUR } from "../../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { importSecret } from "../../../../shared/operations/import.ts";
import { tick, type UsageSource } from "../../../../shared/operations/tick.ts";
import { guardRevocations } from "../../../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { MemoryUsageStore, UsageRecorder } from "../../../../shared/usage/counts.ts";
import { countUsage, createAuthenticator } from "../../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

const SECRET = "the-secret-our-old-backend-signs-with-0123";
const STEP = 6 * HOUR;
const USERS = 6;
const SWITCH_DAY = 120;

/**
 * The migration failure of the issuing issue: a team imports its JWT_SECRET and its login service
 * keeps signing with the environment variable. Without the guard the first rotation makes the
 * imported key previous, the grace gate holds it to the maximum grace, retires it, and from then
 * on every login is refused. With the guard the rotation waits for the login service.
 */
async function migrationYear(guard: boolean) {
  const clock = { t: T0, now: () => clock.t };
  const timing = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 };
  const policy = resolvePolicy();
  const usageStore = new MemoryUsageStore();
  // Without the guard the tick sees no stale-signer figures (as before it existed).
  const usageSource: UsageSource = guard
    ? usageStore
    : { verificationsByKid: (now) => usageStore.verificationsByKid(now) };
  const deps = {
    keyringName: "signing" as const,
    keyrings: new MemoryKeyringStore(),
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(),
    events: new MemoryEventPublisher(),
    clock,
    random: seededRandom(`migration-${guard}`),
    policy,
    timing,
    usage: usageSource,
  };
  expect(
    await importSecret(deps, {
      secret: SECRET,
      encoding: "utf8",
      tokenLifetimeSeconds: 3600,
      reason: "migration",
      actor: "test",
    }),
  ).toMatchObject({ ok: true });
  const authenticate = createAuthenticator({
    keyrings: new KeyringCache({
      load: () => deps.keyrings.load(),
      clock,
      ttlMs: policy.keyringCacheTtlMs,
    }),
    verifier: createVerifier({ maxLifetimeSeconds: 3600 }),
    revocations: guardRevocations(deps.revocations),
    clock,
    signerFollowMs: policy.keyringCacheTtlMs + 60_000,
  });
  const usage = new UsageRecorder(usageStore, T0, HOUR);
  const issuer = createIssuer({
    keyring: { load: () => deps.keyrings.load() },
    clock,
    lifetimeSeconds: 3600,
    maxLifetimeSeconds: 3600,
  });
  const secret = new TextEncoder().encode(SECRET);
  /** The login service: jsonwebtoken with JWT_SECRET until the switch, keyward/issuer after. */
  const login = async (sub: string, day: number): Promise<string> => {
    if (day >= SWITCH_DAY) return (await issuer.issue({ sub })).token;
    const iat = Math.floor(clock.t / 1000);
    return new SignJWT({ sub, iat, exp: iat + 3600 })
      .setProtectedHeader({ alg: "HS256" })
      .sign(secret);
  };
  let refusedLogins = 0;
  for (let t = T0 + STEP; t <= T0 + 200 * DAY; t += STEP) {
    clock.t = t;
    const day = Math.floor((t - T0) / DAY);
    await usage.flush(t);
    await tick(deps, t);
    for (let i = 0; i < USERS; i++) {
      const result = await authenticate(await login(`user-${i}`, day));
      countUsage(result, (kid, outcome, at) => usage.record(kid, at, outcome), t);
      if (!result.ok) refusedLogins++;
    }
  }
  const events = deps.events.published;
  return { refusedLogins, events, keyring: await deps.keyrings.load() };
}

describe("a login service that keeps signing with the imported secret", () => {
  it("is locked out by the first rotation without the guard (the failure the guard prevents)", async () => {
    const { refusedLogins } = await migrationYear(false);
    expect(refusedLogins).toBeGreaterThan(0);
  });

  it("holds the first rotation until the service signs through keyward, then rotates and retires the imported key: no login refused", async () => {
    const { refusedLogins, events, keyring } = await migrationYear(true);
    expect(refusedLogins).toBe(0);
    const held = events.filter((e) => e.type === "StaleSigner");
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((e) => e.detail.holds === "activate")).toBe(true);
    const activated = events.find((e) => e.type === "KeyActivated");
    expect(Date.parse(activated?.at ?? "")).toBeGreaterThanOrEqual(T0 + SWITCH_DAY * DAY);
    expect(Date.parse(held.at(-1)?.at ?? "")).toBeLessThan(T0 + SWITCH_DAY * DAY + 3 * HOUR);
    expect(keyring?.keys.find((k) => k.legacy)?.status).toMatch(/retired|destroyed/);
  });
});
