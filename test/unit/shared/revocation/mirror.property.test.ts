import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY, HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import type { RevocationTarget, TokenFacts } from "../../../../shared/revocation/rules.ts";
import { T0 } from "../../../support/deterministic.ts";

const FRESHNESS_MS = 900;
const subs = ["alice", "bob", "carol"] as const;
const roles = ["admin", "user"] as const;
const kids = ["k1", "k2"] as const;
const jtis = ["j1", "j2"] as const;
const issuers = ["https://id.example.com", "https://other.example"] as const;

type Op =
  | { readonly kind: "revoke"; readonly target: (now: number) => RevocationTarget }
  | { readonly kind: "advance"; readonly ms: number }
  | {
      readonly kind: "check";
      readonly facts: (now: number) => TokenFacts;
    };

const revoke = fc
  .oneof(
    fc.constantFrom(...subs).map((sub) => () => ({ kind: "subject" as const, sub })),
    fc
      .constantFrom(...roles)
      .map((value) => () => ({ kind: "claim" as const, name: "role", value })),
    fc.constant(() => ({ kind: "all" as const })),
    fc.constantFrom(...kids).map((kid) => () => ({ kind: "kid" as const, kid })),
    fc
      .tuple(
        fc.constantFrom(...jtis),
        fc.integer({ min: 1, max: 2 * 3600 }),
        fc.option(fc.constantFrom(...issuers), { nil: undefined }),
      )
      .map(([jti, life, iss]) => (now: number) => ({
        kind: "token" as const,
        jti,
        exp: Math.floor(now / 1000) + life,
        ...(iss === undefined ? {} : { iss }),
      })),
  )
  .map((target): Op => ({ kind: "revoke", target }));

const advance = fc
  .oneof(fc.integer({ min: 0, max: 1500 }), fc.constantFrom(10 * MINUTE, 2 * HOUR, 2 * DAY))
  .map((ms): Op => ({ kind: "advance", ms }));

const check = fc
  .record({
    sub: fc.constantFrom(...subs),
    kid: fc.constantFrom(...kids),
    jti: fc.constantFrom(...jtis),
    iss: fc.option(fc.constantFrom(...issuers), { nil: undefined }),
    // A claim's value, or an array of values (each matched by claim rules).
    roles: fc.oneof(
      fc.constantFrom(...roles),
      fc.array(fc.constantFrom(...roles), { maxLength: 3 }),
    ),
    // Issued up to 3 s before the check, or without `iat` (a legacy token: deny on doubt).
    age: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  })
  .map(
    ({ sub, kid, jti, iss, roles: role, age }): Op => ({
      kind: "check",
      facts: (now) => ({
        sub,
        kid,
        jti,
        ...(iss === undefined ? {} : { iss }),
        claims: { sub, role, jti, ...(iss === undefined ? {} : { iss }) },
        ...(age === undefined ? {} : { issuedAtMs: now - age }),
      }),
    }),
  );

describe("the revocation mirror against the per-request lookup (the oracle)", () => {
  it("decides exactly as the lookup unless a rule was written within its freshness bound, and then never refuses what the lookup allows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(revoke, advance, check, check), { maxLength: 60 }),
        async (ops) => {
          const clock = { t: T0, now: () => clock.t };
          const store = new MemoryRevocationStore(
            { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 },
            clock,
          );
          const mirror = new RevocationMirror({
            log: store,
            fallback: store,
            clock,
            freshnessMs: FRESHNESS_MS,
          });
          await mirror.warmUp();
          let lastWriteAt = Number.NEGATIVE_INFINITY;
          for (const op of ops) {
            if (op.kind === "advance") clock.t += op.ms;
            else if (op.kind === "revoke") {
              await store.revoke([op.target(clock.t)], clock.t);
              lastWriteAt = clock.t;
            } else {
              const facts = op.facts(clock.t);
              const mirrored = await mirror.check(facts);
              const oracle = await store.check(facts);
              if (clock.t - lastWriteAt >= FRESHNESS_MS) expect(mirrored).toEqual(oracle);
              else if (mirrored.revoked) expect(oracle.revoked).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
