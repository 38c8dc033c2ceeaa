import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import type { Clock } from "../../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { revoke } from "../../../../shared/operations/revocations.ts";
import { guardRevocations } from "../../../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import type { RevocationTarget } from "../../../../shared/revocation/rules.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { createAuthenticator } from "../../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

type Command =
  | { readonly type: "advance"; readonly ms: number }
  | { readonly type: "login"; readonly sub: string; readonly admin: boolean }
  | { readonly type: "revoke"; readonly target: RevocationTarget };

const SUBJECTS = ["alice", "bob", "carol"] as const;
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    // Mostly less than a second: logins and revocations land in the same second, often in the
    // same millisecond (0), the case whole-second cut-offs got wrong.
    arbitrary: fc.record({
      type: fc.constant("advance" as const),
      ms: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 4, max: 1500 }),
      ),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constant("login" as const),
      sub: fc.constantFrom(...SUBJECTS),
      admin: fc.boolean(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      type: fc.constant("revoke" as const),
      target: fc.oneof(
        fc.constantFrom(...SUBJECTS).map((sub): RevocationTarget => ({ kind: "subject", sub })),
        fc.constant<RevocationTarget>({ kind: "claim", name: "role", value: "admin" }),
        fc.constant<RevocationTarget>({ kind: "all" }),
      ),
    }),
    weight: 2,
  },
);

interface Held {
  readonly token: string;
  readonly sub: string;
  readonly admin: boolean;
  /** Position in the sequence: the oracle knows only what happened before what. */
  readonly step: number;
}

/** The oracle: a token is refused exactly when a revocation matching it came after its login. */
function oracleRefuses(
  held: Held,
  revocations: readonly { step: number; target: RevocationTarget }[],
) {
  return revocations.some(
    ({ step, target }) =>
      step > held.step &&
      (target.kind === "all" ||
        (target.kind === "subject" && target.sub === held.sub) ||
        (target.kind === "claim" && held.admin)),
  );
}

describe("exact cut-offs (property)", () => {
  it("refuses a token exactly when a matching revocation answered after its login, at millisecond resolution", async () => {
    const keyring = await newKeyring("HS256", T0);
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        // The ops operation waits for the clock to leave the cut-off's millisecond: here waiting
        // moves the simulated clock, as real time would.
        let t = T0 + 1_000;
        const clock: Clock = {
          now: () => t,
          sleep: async (ms) => {
            t += ms;
          },
        };
        const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
        const keyrings = new MemoryKeyringStore();
        await keyrings.save(keyring);
        const deps = {
          keyringName: "signing" as const,
          keyrings,
          revocations: new MemoryRevocationStore(timing, clock),
          audit: new MemoryAuditJournal(),
          events: new MemoryEventPublisher(),
          clock,
          random: seededRandom("cutoffs"),
          policy: resolvePolicy(),
          timing,
        };
        const authenticate = createAuthenticator({
          keyrings: new KeyringCache({ load: () => keyrings.load(), clock }),
          verifier: createVerifier({ cacheSize: 0 }),
          revocations: guardRevocations(deps.revocations),
          clock,
        });
        const signer = createSigner({ random: seededRandom("logins") });
        const held: Held[] = [];
        const revocations: { step: number; target: RevocationTarget }[] = [];
        for (const [step, next] of commands.entries()) {
          if (next.type === "advance") t += next.ms;
          else if (next.type === "login") {
            const claims = next.admin ? { role: "admin" } : {};
            const token = await signer.sign(keyring, { sub: next.sub, claims }, clock.now());
            held.push({ token, sub: next.sub, admin: next.admin, step });
          } else {
            await revoke(deps, { targets: [next.target], reason: "property", actor: "test" });
            revocations.push({ step, target: next.target });
          }
          for (const h of held) {
            const result = await authenticate(h.token);
            expect(result.ok, `${h.sub} logged in at step ${h.step}, checked after ${step}`).toBe(
              !oracleRefuses(h, revocations),
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
