import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { DAY, HOUR } from "../../../../shared/kernel/clock.ts";
import { activateKey, destroyKey, retireKey } from "../../../../shared/keyring/transitions.ts";
import { revocationResolver, revoke } from "../../../../shared/operations/revocations.ts";
import type { RevocationStore } from "../../../../shared/revocation/store.ts";
import { createSigner } from "../../../../shared/tokens/signer.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "oncall", reason: "incident 42" } as const;

describe("revocationResolver", () => {
  it("turns one of this keyring's tokens into its jti rule, and refuses anyone else's", async () => {
    const keyring = await newKeyring("ES256");
    const { deps, clock } = await memoryOperations({ keyring });
    const resolver = revocationResolver(deps);
    const token = await createSigner().sign(keyring, { sub: "alice" }, clock.t);
    const resolved = await resolver.resolve({ kind: "by-token", token }, async () => keyring);
    expect(resolved).toMatchObject({
      ok: true,
      target: { kind: "token", jti: expect.any(String) },
    });

    const { privateKey } = await generateKeyPair("ES256");
    const foreign = await new SignJWT({ sub: "x", jti: "j", iat: 1, exp: 2_000_000_000 })
      .setProtectedHeader({ alg: "ES256", kid: keyring.keys[0]?.kid ?? "" })
      .sign(privateKey);
    expect(
      await resolver.resolve({ kind: "by-token", token: foreign }, async () => keyring),
    ).toMatchObject({ ok: false, code: "not_revocable" });
    // Expired already: nothing to revoke, and not an error.
    clock.t += 2 * HOUR;
    expect(await resolver.resolve({ kind: "by-token", token }, async () => keyring)).toEqual({
      ok: true,
      noop: "the token has expired already",
    });
  });

  it("rules out a key only once it signs no more", async () => {
    const pending = await withPending(await newKeyring("HS256"), "HS256", T0, seededRandom("r"));
    const [old, fresh] = pending.keys.map((k) => k.kid) as [string, string];
    const { deps } = await memoryOperations();
    const resolver = revocationResolver(deps);
    const at = (keyring: typeof pending) => async () => keyring;
    expect(await resolver.resolve({ kind: "kid", kid: fresh }, at(pending))).toMatchObject({
      ok: false,
      code: "not_revocable",
      message: expect.stringContaining("rotate --immediate"),
    });
    const rotated = expectOk(activateKey(pending, fresh, T0 + DAY));
    expect(await resolver.resolve({ kind: "kid", kid: old }, at(rotated))).toEqual({
      ok: true,
      target: { kind: "kid", kid: old },
    });
    const destroyed = expectOk(
      destroyKey(expectOk(retireKey(rotated, old, T0 + 30 * DAY)), old, T0 + 40 * DAY),
    );
    expect(await resolver.resolve({ kind: "kid", kid: old }, at(destroyed))).toMatchObject({
      ok: true,
      noop: expect.any(String),
    });
  });

  it("passes rules through without reading the keyring", async () => {
    const { deps } = await memoryOperations();
    const unread = async () => {
      throw new Error("the keyring was read");
    };
    expect(
      await revocationResolver(deps).resolve({ kind: "subject", sub: "alice" }, unread),
    ).toEqual({
      ok: true,
      target: { kind: "subject", sub: "alice" },
    });
  });
});

describe("revoke", () => {
  it("writes the rules, journals and announces them without the token, and answers after its instant", async () => {
    const { deps, revocations, audit, events } = await memoryOperations({
      keyring: await newKeyring("HS256"),
    });
    const result = await revoke(deps, { ...request, targets: [{ kind: "subject", sub: "alice" }] });
    expect(result).toEqual({ ok: true, value: [{ ok: true, noop: false }] });
    expect(await revocations.check({ sub: "alice", issuedAtMs: T0, claims: {} })).toMatchObject({
      revoked: true,
    });
    expect(await journalLines(audit)).toEqual(["revoke ok"]);
    expect(events.published).toMatchObject([
      { type: "TokensRevoked", detail: { target: "sub:alice" } },
    ]);
  });

  it("is refused with store_unavailable when the store takes none of them, journaled as failed", async () => {
    // Fault injection: a revocation store that takes nothing (the real one cannot be made to).
    const { deps, audit } = await memoryOperations({
      revocations: (real): RevocationStore => ({
        check: (facts) => real.check(facts),
        revoke: async (targets) => targets.map(() => ({ ok: false, error: "unavailable" })),
      }),
    });
    expect(
      await revoke(deps, { ...request, targets: [{ kind: "subject", sub: "alice" }] }),
    ).toMatchObject({ ok: false, code: "store_unavailable" });
    expect(await journalLines(audit)).toEqual(["revoke failed"]);
  });
});
