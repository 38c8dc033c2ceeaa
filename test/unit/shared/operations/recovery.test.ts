import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { activateKey, publishKey, retireKey } from "../../../../shared/keyring/transitions.ts";
import { recoverChanges } from "../../../../shared/operations/recovery.ts";
import { crashingDeps } from "../../../support/crash.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";
import { PASTED_TOKEN } from "../../../support/leaks.ts";
import { opsFixture } from "../../../support/ops.ts";

type Fixture = Awaited<ReturnType<typeof opsFixture>>;

/** current, previous (just replaced) and retired keys, HS256. */
async function threeKeys(): Promise<Keyring> {
  const random = seededRandom("recovery");
  let keyring = await newKeyring("ES256", T0 - 200 * MINUTE, random);
  const retired = keyring.keys[0]?.kid ?? "";
  const second = await generateKey("ES256", T0 - 100 * MINUTE, random);
  keyring = expectOk(publishKey(keyring, second, T0 - 100 * MINUTE));
  keyring = expectOk(activateKey(keyring, second.kid, T0 - 90 * MINUTE));
  keyring = expectOk(retireKey(keyring, retired, T0 - 50 * MINUTE));
  const third = await generateKey("ES256", T0 - 40 * MINUTE, random);
  keyring = expectOk(publishKey(keyring, third, T0 - 40 * MINUTE));
  return expectOk(activateKey(keyring, third.kid, T0 - 30 * MINUTE));
}

const kidOf = (keyring: Keyring, status: string) =>
  keyring.keys.find((k) => k.status === status)?.kid ?? "";

interface Route {
  readonly action: string;
  readonly event: string;
  readonly call: (f: Fixture, initial: Keyring) => [string, string, unknown];
  /** Whether the change is in force in the stores. */
  readonly applied: (f: Fixture, initial: Keyring) => Promise<boolean>;
}

const notRevoked = { issuedAtMs: T0 - 10 * MINUTE, claims: {} };
const reason = "see eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl for the ticket";

const ROUTES: Record<string, Route> = {
  "POST /v1/revocations (subject)": {
    action: "revoke",
    event: "TokensRevoked",
    call: () => ["POST", "/v1/revocations", { sub: "alice", reason }],
    applied: async (f) => (await f.memory.check({ ...notRevoked, sub: "alice" })).revoked,
  },
  "POST /v1/revocations (key)": {
    action: "revoke",
    event: "TokensRevoked",
    call: (_, k) => ["POST", "/v1/revocations", { kid: kidOf(k, "previous"), reason }],
    applied: async (f, k) =>
      (await f.memory.check({ ...notRevoked, kid: kidOf(k, "previous") })).revoked,
  },
  "POST /v1/revocations/batch": {
    action: "revoke.batch",
    event: "TokensRevoked",
    call: () => ["POST", "/v1/revocations/batch", { items: [{ sub: "a" }, { all: true }], reason }],
    applied: async (f) => (await f.memory.check({ ...notRevoked, sub: "b" })).revoked,
  },
  "POST /v1/keys/rotate (graceful)": {
    action: "rotate.graceful",
    event: "KeyCreated",
    call: () => ["POST", "/v1/keys/rotate", { mode: "graceful", reason }],
    applied: async (f) =>
      (await f.keyrings.load())?.keys.some((k) => k.status === "pending") ?? false,
  },
  "POST /v1/keys/rotate (immediate)": {
    action: "rotate.immediate",
    event: "EmergencyRotation",
    call: () => ["POST", "/v1/keys/rotate", { mode: "immediate", reason }],
    applied: async (f, k) =>
      kidOf((await f.keyrings.load()) as Keyring, "current") !== kidOf(k, "current"),
  },
  "POST /v1/keys/rollback": {
    action: "rollback",
    event: "KeyRolledBack",
    call: () => ["POST", "/v1/keys/rollback", { reason }],
    applied: async (f, k) =>
      kidOf((await f.keyrings.load()) as Keyring, "current") === kidOf(k, "previous"),
  },
  "POST /v1/keys/:kid/reinstate": {
    action: "reinstate",
    event: "KeyReinstated",
    call: (_, k) => ["POST", `/v1/keys/${kidOf(k, "retired")}/reinstate`, { reason }],
    applied: async (f, k) =>
      (await f.keyrings.load())?.keys.find((key) => key.kid === kidOf(k, "retired"))?.status ===
      "previous",
  },
  "POST /v1/keys/import": {
    action: "keys.import",
    event: "KeyImported",
    call: () => [
      "POST",
      "/v1/keys/import",
      { secret: "a legacy secret of at least 32 bytes!", reason, tokenLifetimeSeconds: 3600 },
    ],
    applied: async (f) => (await f.keyrings.load())?.keys.some((k) => k.legacy) ?? false,
  },
};

async function run(route: Route, crashAt: number) {
  const initial = await threeKeys();
  let state: { writes: number; crashed: boolean } | undefined;
  const f = await opsFixture({
    keyring: initial,
    wrapDeps: (deps) => {
      const crashing = crashingDeps(deps, crashAt);
      state = crashing.state;
      return crashing.deps;
    },
  });
  const [method, path, body] = route.call(f, initial);
  const answer = await f.call(method, path, body);
  // The next process: the real stores, a tick's worth of time later.
  f.clock.t += 2 * MINUTE;
  await recoverChanges(f.deps, f.clock.now());
  return { f, initial, answer, writes: state?.writes ?? 0 };
}

describe("a change interrupted between any two of its writes", () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    it(`${name}: is journaled and published if it took effect, and never locks out a login`, async () => {
      const clean = await run(route, Number.POSITIVE_INFINITY);
      expect(clean.answer.status).toBeLessThan(300);
      expect(await route.applied(clean.f, clean.initial)).toBe(true);
      expect(clean.writes).toBeGreaterThanOrEqual(3);
      for (let crashAt = 0; crashAt < clean.writes; crashAt++) {
        const { f, initial } = await run(route, crashAt);
        const entries = (await f.audit.read({ limit: 500 })).entries.filter(
          (e) => e.action === route.action,
        );
        const applied = await route.applied(f, initial);
        const where = `crash at write ${crashAt} of ${clean.writes}`;
        expect(await f.audit.unsettled(), where).toEqual([]);
        if (applied) {
          expect(
            entries.filter((e) => e.result === "ok"),
            where,
          ).toHaveLength(1);
          expect(
            f.events.published.some((e) => e.type === route.event),
            where,
          ).toBe(true);
        } else {
          expect(
            entries.filter((e) => e.result === "ok"),
            where,
          ).toEqual([]);
        }
        // Only the first write (the intent itself) can stop a change without a trace.
        if (crashAt > 0) expect(entries.length, where).toBeGreaterThan(0);
        // The pasted token is journaled and published nowhere.
        expect(JSON.stringify([entries, f.events.published]), where).not.toMatch(PASTED_TOKEN);
        // The key that signs now is not refused by any rule: new logins work.
        const current = kidOf((await f.keyrings.load()) as Keyring, "current");
        // A login after recovery answered (its cut-offs refuse up to their own millisecond).
        const login = await f.memory.check({
          kid: current,
          issuedAtMs: f.clock.now() + 1,
          claims: {},
        });
        expect(login.revoked, where).toBe(false);
      }
    });
  }

  it("journals a change whose token-shaped reason is redacted instead of refusing it", async () => {
    const f = await opsFixture();
    const answer = await f.call("POST", "/v1/revocations", { all: true, reason: "eyJa.eyJb.c" });
    expect(answer.status).toBe(201);
    const [entry] = (await f.audit.read()).entries;
    expect(entry).toMatchObject({ action: "revoke", target: "all", reason: "[token removed]" });
    expect(f.events.published.at(-1)?.detail.reason).toBe("[token removed]");
  });

  it("leaves a change that may still be running to its process, holding no token meanwhile", async () => {
    const f = await opsFixture({ wrapDeps: (deps) => crashingDeps(deps, 1).deps });
    await f.call("POST", "/v1/revocations", { sub: "bob", reason });
    expect(await recoverChanges(f.deps, f.clock.now() + 10_000)).toEqual([]);
    expect(await f.audit.unsettled()).toHaveLength(1);
    expect(JSON.stringify(await f.audit.unsettled())).not.toMatch(PASTED_TOKEN);
    expect(await recoverChanges(f.deps, f.clock.now() + 2 * MINUTE)).toMatchObject([
      { action: "revoke", outcome: "done" },
    ]);
  });
});
