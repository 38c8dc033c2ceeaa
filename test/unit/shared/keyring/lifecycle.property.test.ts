import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import { keyringProblems } from "../../../../shared/keyring/invariants.ts";
import { findKey, type Keyring } from "../../../../shared/keyring/keyring.ts";
import { applyPlan } from "../../../../shared/keyring/plan.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { emergencyRotate, publishKey, rollback } from "../../../../shared/keyring/transitions.ts";
import { localCustody } from "../../../../shared/keyring-store/custody.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

type Command =
  | { readonly type: "graceful" }
  | { readonly type: "rollback" }
  | { readonly type: "emergency" }
  | { readonly type: "sign"; readonly sub: string; readonly lifetimeSeconds: number }
  | { readonly type: "advance"; readonly ms: number; readonly previousShare: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.constant({ type: "graceful" as const }), weight: 2 },
  { arbitrary: fc.constant({ type: "rollback" as const }), weight: 1 },
  { arbitrary: fc.constant({ type: "emergency" as const }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant("sign" as const),
      sub: fc.constantFrom("alice", "bob", "carol", "dave", "erin"),
      lifetimeSeconds: fc.integer({ min: 60, max: 24 * 3600 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      type: fc.constant("advance" as const),
      // Short steps keep tokens alive across transitions; long ones reach grace and retention ends.
      ms: fc.oneof(
        fc.integer({ min: MINUTE, max: 6 * HOUR }),
        fc.integer({ min: 6 * HOUR, max: 30 * DAY }),
      ),
      previousShare: fc.double({ min: 0, max: 0.2, noNaN: true }),
    }),
    weight: 4,
  },
);

interface Issued {
  readonly token: string;
  readonly kid: string;
  readonly expMs: number;
  /** How many emergency rotations had happened when the token was signed. */
  readonly epoch: number;
}

describe("the key lifecycle under random operations", () => {
  it("keeps its four promises", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 40 }),
        fc.constantFrom("graceful" as const, "rolling" as const),
        fc.integer({ min: 0, max: 1000 }),
        async (commands, strategy, seed) => {
          const random = seededRandom(`lifecycle-${seed}`);
          const policy = resolvePolicy({ strategy });
          const signer = createSigner({ random, maxLifetimeSeconds: 24 * 3600 });
          const verifier = createVerifier({ clockToleranceSeconds: 0 });
          let now = T0;
          let keyring: Keyring = await newKeyring("HS256", now, random);
          let emergencies = 0;
          const issued: Issued[] = [];
          const dead = new Set<string>();

          for (const step of commands) {
            switch (step.type) {
              case "graceful":
                if (!keyring.keys.some((k) => k.status === "pending")) {
                  keyring = expectOk(
                    publishKey(keyring, await generateKey("HS256", now, random), now),
                  );
                }
                break;
              case "rollback": {
                const result = rollback(keyring, now);
                if (result.ok) {
                  keyring = result.keyring;
                  // (d) a rollback never reinstates a compromised key
                  expect(keyring.keys.find((k) => k.status === "current")?.compromised).toBe(false);
                }
                break;
              }
              case "emergency":
                keyring = expectOk(
                  emergencyRotate(keyring, await generateKey("HS256", now, random), now),
                );
                emergencies++;
                break;
              case "sign": {
                const token = await signer.sign(keyring, step, now);
                const kid = JSON.parse(atob(token.split(".")[0]!)).kid as string;
                const expMs = Math.floor(now / 1000) * 1000 + step.lifetimeSeconds * 1000;
                issued.push({ token, kid, expMs, epoch: emergencies });
                break;
              }
              case "advance": {
                now += step.ms;
                // Usage is independent of which tokens are alive: idle users hold valid tokens of keys
                // that see almost no traffic, and the grace rules must protect them all the same.
                const usage: Record<string, number> = {};
                for (const key of keyring.keys) {
                  if (key.status === "previous") usage[key.kid] = step.previousShare * 1000;
                  if (key.status === "current") usage[key.kid] = 1000;
                }
                keyring = (
                  await applyPlan(keyring, now, usage, policy, localCustody(random).create)
                ).keyring;
                break;
              }
            }

            // (a) exactly one current key, and every other invariant
            expect(keyring.keys.filter((k) => k.status === "current")).toHaveLength(1);
            expect(keyringProblems(keyring)).toEqual([]);

            for (const key of keyring.keys) {
              if (key.status === "destroyed" || key.compromised) dead.add(key.kid);
              // (d) a compromised key never verifies again
              if (key.compromised)
                expect(key.status === "retired" || key.status === "destroyed").toBe(true);
            }
            for (const t of issued) {
              const result = await verifier.verify(t.token, keyring, now);
              if (dead.has(t.kid) || t.epoch < emergencies) {
                // (c) a destroyed or compromised key never verifies again, nor anything signed before an emergency
                expect(result.ok).toBe(false);
              } else if (t.expMs > now) {
                // (b) a token of the current key verifies until its exp unless an emergency intervened
                expect(result).toMatchObject({ ok: true, kid: t.kid });
              }
            }
            expect(
              findKey(keyring, keyring.keys.find((k) => k.status === "current")!.kid),
            ).toBeDefined();
          }
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);
});
