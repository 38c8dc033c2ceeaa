import fc from "fast-check";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { type Clock, SECOND } from "../../../../shared/kernel/clock.ts";
import { importLegacySecret } from "../../../../shared/keyring/import-legacy.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { revoke } from "../../../../shared/operations/revocations.ts";
import { guardRevocations } from "../../../../shared/revocation/guard.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import type { RevocationTarget } from "../../../../shared/revocation/rules.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { createAuthenticator } from "../../../../shared/verification/authenticate.ts";
import { KeyringCache } from "../../../../shared/verification/keyring-cache.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const MAX_LIFETIME = 3600;
const TOLERANCE = 5;

const scenario = fc.record({
  /** A legacy keyring verifies tokens without kid (and without iat); the other only keyward's. */
  legacy: fc.boolean(),
  withKid: fc.boolean(),
  withIat: fc.boolean(),
  lifetime: fc.integer({ min: 1, max: 3 * MAX_LIFETIME }),
  /** When the token was issued, relative to the revocation, in seconds (before it, mostly). */
  issuedBefore: fc.integer({ min: 0, max: 3 * MAX_LIFETIME }),
  target: fc.constantFrom<RevocationTarget>({ kind: "subject", sub: "alice" }, { kind: "all" }),
  /** When the token is presented after the revocation, in seconds. */
  checks: fc.array(fc.integer({ min: 0, max: 4 * MAX_LIFETIME }), { minLength: 1, maxLength: 12 }),
});

async function sign(
  keyring: Keyring,
  claims: { iat?: number; exp: number },
  withKid: boolean,
): Promise<string> {
  const key = keyring.keys.find((k) => k.status === "current");
  const secret = Buffer.from(String(key?.jwk?.k), "base64url");
  return new SignJWT({ sub: "alice", jti: "j-1", ...claims })
    .setProtectedHeader({ alg: "HS256", ...(withKid ? { kid: key?.kid ?? "" } : {}) })
    .sign(secret);
}

describe("no revocation lapses while its token lives (property)", () => {
  it("refuses a token until it expires once a rule has refused it, whatever its lifetime and iat", async () => {
    const generated = await newKeyring("HS256", T0);
    const imported = expectOk(
      importLegacySecret(
        undefined,
        "a legacy secret of at least 32 bytes!",
        "utf8",
        T0,
        seededRandom("lapse"),
      ),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const keyring = s.legacy ? imported : generated;
        const revokedAt = T0 + 10 * MAX_LIFETIME * SECOND;
        let t = revokedAt;
        const clock: Clock = {
          now: () => t,
          sleep: async (ms) => {
            t += ms;
          },
        };
        const timing = { maxTokenLifetimeSeconds: MAX_LIFETIME, clockToleranceSeconds: TOLERANCE };
        const keyrings = new MemoryKeyringStore();
        await keyrings.save(keyring);
        const deps = {
          keyringName: "signing" as const,
          keyrings,
          revocations: new MemoryRevocationStore(timing, clock),
          audit: new MemoryAuditJournal(),
          events: new MemoryEventPublisher(),
          clock,
          random: seededRandom("lapse-ops"),
          policy: resolvePolicy({ maxTokenLifetimeMs: MAX_LIFETIME * SECOND }),
          timing,
        };
        const authenticate = createAuthenticator({
          keyrings: new KeyringCache({ load: () => keyrings.load(), clock }),
          verifier: createVerifier({ cacheSize: 0, maxLifetimeSeconds: MAX_LIFETIME }),
          revocations: guardRevocations(deps.revocations),
          clock,
        });
        const iat = revokedAt / SECOND - s.issuedBefore;
        const exp = iat + s.lifetime;
        const token = await sign(keyring, { ...(s.withIat ? { iat } : {}), exp }, s.withKid);
        await revoke(deps, { targets: [s.target], reason: "property", actor: "test" });
        let refused = true; // Issued before the revocation: refused from its answer on.
        for (const after of [...s.checks].sort((a, b) => a - b)) {
          t = revokedAt + after * SECOND + 1;
          if (t / SECOND >= exp + TOLERANCE) break;
          const result = await authenticate(token);
          if (refused) expect(result.ok, `checked ${after} s after the revocation`).toBe(false);
          refused ||= !result.ok;
        }
      }),
      { numRuns: 300 },
    );
  });
});
