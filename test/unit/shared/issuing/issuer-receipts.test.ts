import { describe, expect, it } from "vitest";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { MINUTE, SECOND } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { holdingOf } from "../../../../shared/receipts/holding.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring, withPending } from "../../../support/keyrings.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function issuerWithReceipts(cacheTtlSeconds = 60) {
  const state = { keyring: (await newKeyring("HS256", T0)) as Keyring };
  const clock = { t: T0 + SECOND, now: () => clock.t };
  const receipts = new MemoryReceipts();
  const issuer = createIssuer({
    keyring: { load: async () => state.keyring },
    clock,
    cacheTtlSeconds,
    receipts: new MemoryUsageStore(receipts),
  });
  return { state, clock, receipts, issuer };
}

describe("an issuer's receipts", () => {
  it("says once a minute, in each minute it signs, which keyring revision it signs with", async () => {
    const { state, clock, receipts, issuer } = await issuerWithReceipts();
    await issuer.issue({ sub: "alice" });
    await settle();
    expect(await receipts.live(clock.t)).toEqual([]);
    clock.t += MINUTE;
    await issuer.issue({ sub: "bob" });
    await settle();
    expect(await receipts.live(clock.t)).toEqual([
      expect.objectContaining({
        kind: "issuer",
        keyring: "signing",
        revision: state.keyring.revision,
        keys: [{ kid: state.keyring.keys[0]!.kid, status: "current" }],
      }),
    ]);
  });

  it("writes at once when it loads a new revision, and never holds a pending key's activation back", async () => {
    const { state, clock, receipts, issuer } = await issuerWithReceipts(10);
    await issuer.issue({ sub: "alice" });
    state.keyring = await withPending(state.keyring, "HS256", clock.t, seededRandom("next"));
    clock.t += 11 * SECOND; // past the cache TTL, within the minute: the next login reloads first
    await issuer.issue({ sub: "bob" });
    await settle();
    const [written] = await receipts.live(clock.t);
    expect(written).toMatchObject({ kind: "issuer", revision: state.keyring.revision });
    // Only verifiers count for the gate: an issuer lacking the pending key would change nothing.
    const pending = state.keyring.keys[1]!.kid;
    expect(holdingOf([{ ...written!, keys: [] }], "signing", pending)).toMatchObject({
      live: 0,
      laggards: [],
    });
  });

  it("names bad receipt options at once", () => {
    expect(() =>
      createIssuer({
        keyring: { load: async () => undefined },
        upstash: { url: "ftp://x", token: "" },
        redisPrefix: "kw[1]:",
        receiptWindowSeconds: 30,
      }),
    ).toThrow(
      expect.objectContaining({
        constructor: ConfigInvalid,
        problems: expect.arrayContaining([
          "receiptWindowSeconds must be a whole number from 120 to 3600",
          "redisPrefix must be 1 to 64 characters from A-Z a-z 0-9 : _ . -",
        ]),
      }),
    );
  });
});
