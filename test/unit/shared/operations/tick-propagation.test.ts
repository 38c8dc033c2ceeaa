import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { DAY, HOUR, MINUTE } from "../../../../shared/kernel/clock.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  prePublicationMs,
  type RotationPolicy,
  resolvePolicy,
} from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { consumerOf, MemoryJwksConsumers } from "../../../../shared/receipts/jwks-consumer.ts";
import type { Receipt } from "../../../../shared/receipts/receipt.ts";
import type { ReceiptReader } from "../../../../shared/receipts/store.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { StoreUnavailable } from "../../../../shared/revocation/store.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { receiptOf } from "../../../support/receipts.ts";

const PUBLISH_AT = (policy: RotationPolicy) => T0 + 90 * DAY - prePublicationMs(policy);
const DUE_AT = T0 + 90 * DAY;

/** Receipts the test sets; `failing` makes the store fail as Upstash down would. */
class SetReceipts implements ReceiptReader {
  receipts: Receipt[] = [];
  failing = false;
  async live(): Promise<readonly Receipt[]> {
    if (this.failing) throw new StoreUnavailable("receipts unreachable");
    return this.receipts;
  }
}

async function setup(policy = resolvePolicy()) {
  const clock = { now: () => T0 };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const events = new MemoryEventPublisher();
  const receipts = new SetReceipts();
  const deps = {
    keyringName: "signing" as const,
    keyrings: new MemoryKeyringStore(),
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(),
    events,
    clock,
    random: seededRandom("propagation"),
    policy,
    timing,
    usage: noUsage,
    receipts,
  };
  await deps.keyrings.save(await newKeyring());
  await tick(deps, PUBLISH_AT(policy));
  const keyring = (await deps.keyrings.load()) as Keyring;
  const current = keyring.keys.find((k) => k.status === "current")!.kid;
  const pending = keyring.keys.find((k) => k.status === "pending")!.kid;
  /** A live authorizer's receipt, holding the pending key or not. */
  const verifier = (instance: string, holdsPending: boolean, overrides: Partial<Receipt> = {}) =>
    receiptOf(instance, DUE_AT - MINUTE, {
      revision: holdsPending ? keyring.revision : keyring.revision - 1,
      keys: [
        { kid: current, status: "current" },
        ...(holdsPending ? [{ kid: pending, status: "pending" as const }] : []),
      ],
      ...overrides,
    });
  return { deps, events, receipts, pending, verifier };
}

const statuses = async (deps: { keyrings: MemoryKeyringStore }) =>
  (await deps.keyrings.load())!.keys.map((k) => k.status);

describe("tick: a pending key signs only once every live verifier holds it", () => {
  it("activates at the end of the pre-publication period when every live verifier's receipt lists the pending key", async () => {
    const { deps, receipts, verifier } = await setup();
    receipts.receipts = [verifier("a", true), verifier("b", true)];
    expect(await tick(deps, DUE_AT)).toMatchObject({
      status: "applied",
      actions: [{ type: "activate" }],
    });
    expect(await statuses(deps)).toEqual(["previous", "current"]);
  });

  it("activates when no verifier is live: instances that start later load the keyring with the key", async () => {
    const { deps } = await setup();
    expect(await tick(deps, DUE_AT)).toMatchObject({ status: "applied" });
  });

  it("holds the activation while one live verifier has not said it holds the key, says so in the outcome, and activates at the tick after it does", async () => {
    const { deps, events, receipts, pending, verifier } = await setup();
    receipts.receipts = [verifier("a", true), verifier("b", false)];
    expect(await tick(deps, DUE_AT + 10 * MINUTE)).toEqual({
      status: "idle",
      propagation: { kid: pending, live: 2, held: 1, waitingSeconds: 600, incomplete: false },
    });
    expect(await statuses(deps)).toEqual(["current", "pending"]);
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated"]);

    receipts.receipts = [verifier("a", true), verifier("b", true)];
    expect(await tick(deps, DUE_AT + 11 * MINUTE)).toMatchObject({ status: "applied" });
    expect(await statuses(deps)).toEqual(["previous", "current"]);
  });

  it("counts only the verifiers of its own keyring: a sessions service holding other keys holds nothing back", async () => {
    const { deps, receipts, verifier } = await setup();
    receipts.receipts = [
      verifier("a", true),
      verifier("s", false, { kind: "sessions", keyring: "sessions", keys: [] }),
    ];
    expect(await tick(deps, DUE_AT)).toMatchObject({ status: "applied" });
  });

  it("past the maximum wait, publishes PropagationIncomplete naming each laggard (kind, region, instance, revision, last seen) and still waits", async () => {
    const { deps, events, receipts, pending, verifier } = await setup();
    receipts.receipts = [verifier("a", true), verifier("lagging-1", false)];
    await tick(deps, DUE_AT + HOUR - 1);
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated"]);

    expect(await tick(deps, DUE_AT + HOUR)).toMatchObject({
      status: "idle",
      propagation: { kid: pending, incomplete: true },
    });
    const incomplete = events.published.find((e) => e.type === "PropagationIncomplete");
    expect(incomplete?.detail).toMatchObject({
      kid: pending,
      holds: "activate",
      live: 2,
      held: 1,
      waitingMinutes: 60,
      laggards: [
        `authorizer eu-west-1 lagging-1 (revision 1, last seen ${new Date(DUE_AT - MINUTE).toISOString()})`,
      ],
    });
    expect(String(incomplete?.detail.detail)).toContain("1 of 2 live verifiers");
    expect(await statuses(deps)).toEqual(["current", "pending"]);
  });

  it("holds, and past the maximum wait says why, when the receipts cannot be read: no evidence is not evidence", async () => {
    const { deps, events, receipts } = await setup();
    receipts.failing = true;
    expect(await tick(deps, DUE_AT)).toMatchObject({
      status: "idle",
      propagation: { live: 0, held: 0, incomplete: false },
    });
    await tick(deps, DUE_AT + 2 * HOUR);
    const incomplete = events.published.find((e) => e.type === "PropagationIncomplete");
    expect(String(incomplete?.detail.detail)).toContain("could not be read");
    expect(await statuses(deps)).toEqual(["current", "pending"]);
  });

  it("waits as long as the policy says before the event: the maximum wait is a setting", async () => {
    const { deps, events, receipts, verifier } = await setup(
      resolvePolicy({ propagationMaxWaitMs: 5 * MINUTE }),
    );
    receipts.receipts = [verifier("b", false)];
    await tick(deps, DUE_AT + 5 * MINUTE);
    expect(events.published.map((e) => e.type)).toContain("PropagationIncomplete");
  });

  it("counts a JWKS consumer of the last day like a verifier: one that has not fetched since the key was published holds it, until it fetches again", async () => {
    const { deps, events, pending } = await setup();
    const jwksConsumers = new MemoryJwksConsumers();
    await jwksConsumers.record(consumerOf("PyJWT/2.8", "203.0.113.9", PUBLISH_AT(deps.policy) - 1));
    const withConsumers = { ...deps, jwksConsumers };
    expect(await tick(withConsumers, DUE_AT + HOUR)).toMatchObject({
      status: "idle",
      propagation: { kid: pending, live: 1, held: 0, incomplete: true },
    });
    expect(events.published.at(-1)?.detail.laggards).toEqual([
      `jwks "PyJWT/2.8" from 203.0.113.0/24 (last fetched ${new Date(PUBLISH_AT(deps.policy) - 1).toISOString()})`,
    ]);
    await jwksConsumers.record(consumerOf("PyJWT/2.8", "203.0.113.9", DUE_AT + HOUR));
    expect(await tick(withConsumers, DUE_AT + HOUR + 1)).toMatchObject({ status: "applied" });
  });

  it("holds a rolling rotation's first cohort the same way, and not its later steps", async () => {
    const policy = resolvePolicy({ strategy: "rolling" });
    const { deps, receipts, verifier } = await setup(policy);
    receipts.receipts = [verifier("b", false)];
    expect(await tick(deps, DUE_AT)).toMatchObject({ status: "idle" });
    expect((await deps.keyrings.load())!.rollout).toBeUndefined();

    receipts.receipts = [verifier("b", true)];
    expect(await tick(deps, DUE_AT + MINUTE)).toMatchObject({
      actions: [{ type: "rollout", percent: 25 }],
    });
    // Once the key signs for a cohort, a verifier that lacks it (a new region, say) holds nothing.
    receipts.receipts = [verifier("c", false)];
    expect(await tick(deps, DUE_AT + MINUTE + policy.rolloutStepMs)).toMatchObject({
      actions: [{ type: "rollout", percent: 50 }],
    });
  });
});
