import { describe, expect, it } from "vitest";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { forceActivation } from "../../../../shared/operations/force-activation.ts";
import { recoverChanges } from "../../../../shared/operations/recovery.ts";
import { MemoryReceipts } from "../../../../shared/receipts/store.ts";
import { crashingDeps } from "../../../support/crash.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring, withPending } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";
import { receiptOf } from "../../../support/receipts.ts";

const request = { actor: "alice", reason: "eu-west-1 is being decommissioned" } as const;
const DUE = T0 + prePublicationMs(resolvePolicy());

/** A keyring with a pending key published at T0, a laggard that lacks it and a verifier that holds it. */
async function held(policy: Parameters<typeof resolvePolicy>[0] = {}) {
  const first = await newKeyring("HS256");
  const keyring = await withPending(first, "HS256", T0, seededRandom("force"));
  const [current, pending] = keyring.keys.map((k) => k.kid) as [string, string];
  const ops = await memoryOperations({ keyring, policy });
  const receipts = new MemoryReceipts();
  receipts.record(receiptOf("laggard", T0, { keys: [{ kid: current, status: "current" }] }), T0);
  receipts.record(
    receiptOf("holder", T0, {
      keys: [
        { kid: current, status: "current" },
        { kid: pending, status: "pending" },
      ],
    }),
    T0,
  );
  return { ...ops, deps: { ...ops.deps, receipts }, current, pending };
}

describe("forceActivation", () => {
  it("activates a pending key past its pre-publication period although a live verifier lacks it, journaling who went without it", async () => {
    const { deps, clock, keyrings, audit, events, current, pending } = await held();
    clock.t = DUE + MINUTE;
    const done = await forceActivation(deps, { ...request, kid: pending });
    expect(done).toMatchObject({ ok: true, value: { kid: pending, step: "activate" } });
    expect(done.ok && done.value.laggards).toEqual([
      `authorizer eu-west-1 laggard (revision 3, last seen ${new Date(T0).toISOString()})`,
    ]);
    expect((await keyrings.load())?.keys.map((k) => [k.kid, k.status])).toEqual([
      [current, "previous"],
      [pending, "current"],
    ]);
    const [entry] = (await audit.read()).entries;
    expect(entry).toMatchObject({
      actor: "alice",
      action: "activate.forced",
      target: pending,
      reason: request.reason,
      result: "ok",
      details: { step: "activate", replaces: current, live: 2, held: 1, evidence: "read" },
    });
    expect(String(entry?.details?.laggards)).toContain("laggard");
    expect(events.published).toMatchObject([
      { type: "KeyActivated", detail: { kid: pending, forced: true, actor: "alice" } },
    ]);
  });

  it("refuses before the pre-publication period is over, saying from when, and journals the refusal", async () => {
    const { deps, clock, keyrings, audit, pending } = await held();
    clock.t = DUE - 1;
    const refused = await forceActivation(deps, { ...request, kid: pending });
    expect(refused).toMatchObject({ ok: false, code: "activation_not_due" });
    expect(!refused.ok && refused.message).toContain(new Date(DUE).toISOString());
    expect((await keyrings.load())?.keys.map((k) => k.status)).toEqual(["current", "pending"]);
    expect(await journalLines(audit)).toEqual(["activate.forced refused activation_not_due"]);
  });

  it("refuses a key that is not pending, and one the keyring does not have", async () => {
    const { deps, clock, current } = await held();
    clock.t = DUE + MINUTE;
    expect(await forceActivation(deps, { ...request, kid: current })).toMatchObject({
      ok: false,
      code: "activation_not_due",
    });
    expect(await forceActivation(deps, { ...request, kid: "nope" })).toMatchObject({
      ok: false,
      code: "key_not_found",
    });
  });

  it("starts a rolling rotation's first cohort rather than skipping its cohorts", async () => {
    const { deps, clock, keyrings, pending } = await held({ strategy: "rolling" });
    clock.t = DUE + MINUTE;
    expect(await forceActivation(deps, { ...request, kid: pending })).toMatchObject({
      ok: true,
      value: { step: "rollout" },
    });
    const keyring = await keyrings.load();
    expect(keyring?.rollout).toEqual({ kid: pending, percent: 25, since: DUE + MINUTE });
    expect(keyring?.keys.find((k) => k.kid === pending)?.status).toBe("pending");
  });

  it("says the evidence was unreadable when the receipts cannot be read, and goes ahead", async () => {
    const { deps, clock, audit, pending } = await held();
    clock.t = DUE + MINUTE;
    const failing = {
      live: async () => {
        throw new Error("Upstash unreachable");
      },
    };
    expect(
      await forceActivation({ ...deps, receipts: failing }, { ...request, kid: pending }),
    ).toMatchObject({ ok: true });
    expect((await audit.read()).entries[0]?.details).toMatchObject({
      evidence: "unreadable",
      live: 0,
    });
  });

  it("is journaled by recovery, as the operator's, when the process dies right after its commit; and as not done when it dies before", async () => {
    for (const [crashAt, line, status] of [
      [2, "activate.forced ok", "current"],
      [1, "activate.forced failed interrupted", "pending"],
    ] as const) {
      const { deps, clock, keyrings, audit, pending } = await held();
      clock.t = DUE + MINUTE;
      // Writes: the intent (0), the keyring (1), the journal entry (2).
      await forceActivation(crashingDeps(deps, crashAt).deps, { ...request, kid: pending }).catch(
        () => undefined,
      );
      expect(await journalLines(audit)).toEqual([]);
      await recoverChanges(deps, clock.t + 2 * MINUTE);
      expect(await journalLines(audit), `crash at write ${crashAt}`).toEqual([line]);
      expect((await audit.read()).entries[0]?.actor).toBe("alice");
      expect((await keyrings.load())?.keys.find((k) => k.kid === pending)?.status).toBe(status);
    }
  });
});
