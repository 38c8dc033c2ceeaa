import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { DAY, MINUTE, SECOND } from "../../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { onKeyring } from "../../../../shared/operations/deps.ts";
import { importSecret } from "../../../../shared/operations/import.ts";
import { rotationJournal } from "../../../../shared/operations/journal.ts";
import { rotate } from "../../../../shared/operations/rotate.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { createSealer } from "../../../../shared/sealing/sealer.ts";
import { crashingDeps } from "../../../support/crash.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const sessionsPolicy = resolvePolicy({
  algorithm: "A256GCM",
  rotationPeriodMs: 30 * DAY,
  maxTokenLifetimeMs: 7 * DAY,
});

/** One set of stores, the signing keyring and the sessions keyring on it, as the functions have. */
async function twoKeyrings() {
  const clock = { t: T0, now: () => clock.t };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const signing = {
    keyringName: "signing" as const,
    keyrings: new MemoryKeyringStore(),
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(),
    events: new MemoryEventPublisher(),
    clock,
    random: seededRandom("two-keyrings"),
    policy: resolvePolicy(),
    timing,
    usage: noUsage,
  };
  await signing.keyrings.save(await newKeyring("HS256", T0));
  const sessions = onKeyring(signing, "sessions", new MemoryKeyringStore(), sessionsPolicy);
  return { clock, signing, sessions };
}

const request = { actor: "alice", reason: "drill" };

describe("the sessions keyring through the shared operations", () => {
  it("imports SESSION_ENCRYPTION_KEY as the current A256GCM key, journaled and announced as the sessions keyring's", async () => {
    const { sessions } = await twoKeyrings();
    const key = randomBytes(32);
    const imported = await importSecret(sessions, {
      ...request,
      secret: key.toString("base64"),
      encoding: "base64",
      tokenLifetimeSeconds: 3600,
    });
    if (!imported.ok) throw new Error(imported.message);
    expect(imported.value).toMatchObject({ status: "current", verifyOnly: false });
    const [stored] = (await sessions.keyrings.load())!.keys;
    expect(stored).toMatchObject({ alg: "A256GCM", legacy: true, status: "current" });
    const { entries } = await sessions.audit.read();
    expect(entries).toMatchObject([
      {
        action: "keys.import",
        result: "ok",
        details: { keyring: "sessions", sessionLifetimeSeconds: 3600 },
      },
    ]);
    expect(sessions.events.published).toMatchObject([
      { type: "KeyImported", detail: { keyring: "sessions" } },
    ]);
    expect(JSON.stringify([entries, sessions.events.published])).not.toContain(
      key.toString("base64url"),
    );
  });

  it("refuses a session key that is not 32 bytes, and legacy sessions longer than the maximum session lifetime", async () => {
    const { sessions } = await twoKeyrings();
    for (const bytes of [16, 33]) {
      const refused = await importSecret(sessions, {
        ...request,
        secret: randomBytes(bytes).toString("base64"),
        encoding: "base64",
        tokenLifetimeSeconds: 3600,
      });
      expect(refused).toMatchObject({ ok: false, code: "secret_invalid" });
    }
    const tooLong = await importSecret(sessions, {
      ...request,
      secret: randomBytes(32).toString("base64"),
      encoding: "base64",
      tokenLifetimeSeconds: 8 * 86_400,
    });
    expect(tooLong).toMatchObject({ ok: false, code: "lifetime_too_long" });
    if (!tooLong.ok) expect(tooLong.message).toContain("KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS");
    expect(await sessions.keyrings.load()).toBeUndefined();
  });

  it("an emergency on the sessions keyring writes key rules only: tokens are not cut off, the leaked key's sessions are refused whatever the cache holds", async () => {
    const { clock, signing, sessions } = await twoKeyrings();
    await sessions.keyrings.save(await newKeyring("A256GCM", T0, seededRandom("sessions")));
    const before = (await sessions.keyrings.load())!;
    const cached = {
      get: async () => ({ ok: true as const, keyring: before, ageMs: 0, stale: false }),
    };
    // A service whose keyring cache still holds the keyring from before the emergency.
    const service = createSealer({ keyrings: cached, revocations: signing.revocations, clock });
    const envelope = await service.seal("cart=3", { aad: "sid-1" });
    clock.t += SECOND;

    const result = await rotate(sessions, { ...request, mode: "immediate" });
    if (!result.ok) throw new Error(result.message);
    expect(await service.open(envelope, { aad: "sid-1" })).toMatchObject({
      ok: false,
      reason: "key_revoked",
    });
    expect(await signing.revocations.check({ claims: {}, issuedAtMs: T0 })).toEqual({
      revoked: false,
    });
    const stored = (await sessions.keyrings.load())!;
    expect(stored.keys.map((k) => [k.status, k.compromised])).toEqual([
      ["retired", true],
      ["current", false],
    ]);
    // The self-test sealed with the new key and opened it against the keyring as stored.
    const [entry] = (await sessions.audit.read()).entries;
    expect(entry).toMatchObject({
      action: "rotate.immediate",
      result: "ok",
      details: { keyring: "sessions", selfTest: "passed" },
    });
    // The signing keyring's journal knows nothing of it; the sessions keyring's has it.
    expect(await rotationJournal({ audit: signing.audit }, T0)).toEqual([]);
    expect(await rotationJournal({ audit: signing.audit }, T0, "sessions")).toMatchObject([
      { trigger: "emergency", oldKid: before.keys[0]!.kid, selfTest: "passed" },
    ]);
  });

  it("ticks an absent sessions keyring as absent (no alarm), and rotates an existing one after its own 30 days", async () => {
    const { clock, sessions } = await twoKeyrings();
    expect(await tick(sessions, clock.now())).toEqual({ status: "absent" });
    expect(sessions.events.published).toEqual([]);
    await sessions.keyrings.save(await newKeyring("A256GCM", T0, seededRandom("sessions")));
    expect(await tick(sessions, T0 + 29 * DAY)).toMatchObject({ status: "idle" });
    expect(await tick(sessions, T0 + 30 * DAY)).toMatchObject({
      status: "applied",
      actions: [{ type: "publish" }],
    });
    const keys = (await sessions.keyrings.load())!.keys;
    expect(keys.map((k) => [k.alg, k.status])).toEqual([
      ["A256GCM", "current"],
      ["A256GCM", "pending"],
    ]);
    expect(sessions.events.published).toMatchObject([
      { type: "KeyCreated", detail: { keyring: "sessions" } },
    ]);
  });

  it("a sessions emergency a crash stopped after its rules is finished by the sessions keyring's tick, never the signing keyring's", async () => {
    const { clock, signing, sessions } = await twoKeyrings();
    await sessions.keyrings.save(await newKeyring("A256GCM", T0, seededRandom("sessions")));
    const before = (await sessions.keyrings.load())!;
    // The process dies at its third store write: the intent, the key rules, then the keyring.
    const { deps: dying } = crashingDeps(sessions, 2);
    await expect(rotate(dying, { ...request, mode: "immediate" })).rejects.toThrow(
      "injected crash",
    );
    expect((await sessions.keyrings.load())!.revision).toBe(before.revision);
    expect(await signing.audit.unsettled()).toHaveLength(1);

    clock.t += 2 * MINUTE;
    await tick(signing, clock.now());
    expect(await signing.audit.unsettled()).toHaveLength(1);
    expect((await sessions.keyrings.load())!.revision).toBe(before.revision);

    await tick(sessions, clock.now());
    expect(await signing.audit.unsettled()).toEqual([]);
    const after = (await sessions.keyrings.load())!;
    expect(after.keys.find((k) => k.kid === before.keys[0]!.kid)).toMatchObject({
      status: "retired",
      compromised: true,
    });
    expect((await signing.keyrings.load())!.keys.every((k) => !k.compromised)).toBe(true);
  });
});
