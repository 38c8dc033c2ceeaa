import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { EMERGENCY_WINDOW_MS, emergency } from "../../../../shared/operations/emergency.ts";
import { rotate } from "../../../../shared/operations/rotate.ts";
import type { RevocationStore } from "../../../../shared/revocation/store.ts";
import { T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "oncall", reason: "JWT_SECRET pasted in a ticket" } as const;

describe("emergency", () => {
  it("cuts off every token issued so far, rules out every old key, and makes a new key current", async () => {
    const { deps, keyrings, revocations, audit, events } = await memoryOperations({
      keyring: await newKeyring("HS256"),
    });
    await rotate(deps, { ...request, mode: "graceful" });
    const old = (await keyrings.load())?.keys.map((k) => k.kid) ?? [];
    const result = await emergency(deps, request);
    expect(result.ok).toBe(true);
    const kid = result.ok ? result.value.kid : "";
    const keys = (await keyrings.load())?.keys ?? [];
    expect(keys.find((k) => k.kid === kid)?.status).toBe("current");
    for (const oldKid of old) {
      expect(keys.find((k) => k.kid === oldKid)).toMatchObject({
        status: "retired",
        compromised: true,
      });
      // Whatever a verifier's cached keyring says, the old keys' tokens are refused.
      expect(
        await revocations.check({ kid: oldKid, issuedAtMs: T0 + MINUTE, claims: {} }),
      ).toMatchObject({ revoked: true });
    }
    // A token issued before the emergency, with the new key's kid or none: the global cut-off.
    expect(await revocations.check({ issuedAtMs: T0, claims: {} })).toMatchObject({
      revoked: true,
    });
    expect(await journalLines(audit)).toEqual(["rotate.graceful ok", "rotate.immediate ok"]);
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated", "EmergencyRotation"]);
    expect(await audit.unsettled()).toEqual([]);
  });

  it("refuses a second emergency within the window, which would log out everyone again", async () => {
    const { deps, clock, audit } = await memoryOperations({ keyring: await newKeyring("HS256") });
    await emergency(deps, request);
    clock.t += EMERGENCY_WINDOW_MS - 1;
    expect(await emergency(deps, request)).toMatchObject({
      ok: false,
      code: "emergency_in_progress",
    });
    clock.t += 1;
    expect((await emergency(deps, request)).ok).toBe(true);
    expect(await journalLines(audit)).toEqual([
      "rotate.immediate ok",
      "rotate.immediate refused emergency_in_progress",
      "rotate.immediate ok",
    ]);
  });

  it("answers store_unavailable and leaves the emergency intended for the rotation function when the rules are not taken", async () => {
    // Fault injection: a revocation store that takes nothing (the real one cannot be made to).
    const { deps, keyrings, audit } = await memoryOperations({
      keyring: await newKeyring("HS256"),
      revocations: (real): RevocationStore => ({
        check: (facts) => real.check(facts),
        revoke: async (targets) => targets.map(() => ({ ok: false, error: "unavailable" })),
      }),
    });
    const before = await keyrings.load();
    expect(await emergency(deps, request)).toMatchObject({ ok: false, code: "store_unavailable" });
    expect(await keyrings.load()).toEqual(before);
    expect((await audit.unsettled()).map((change) => change.entry.action)).toEqual([
      "rotate.immediate",
    ]);
  });

  it("on the sessions keyring, rules out the old keys without logging everyone out", async () => {
    const { deps, revocations } = await memoryOperations({
      keyring: await newKeyring("A256GCM"),
      keyringName: "sessions",
      policy: { algorithm: "A256GCM" },
    });
    expect((await emergency(deps, request)).ok).toBe(true);
    expect(await revocations.check({ issuedAtMs: T0, claims: {} })).toEqual({ revoked: false });
  });
});
