import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { secretsManagerClient } from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { busWithQueue } from "../../../support/eventbridge.ts";
import { newKeyring } from "../../../support/keyrings.ts";

describe("events on EventBridge (moto), read back through an SQS rule target", () => {
  it("publishes keyward events with source keyward and the event type as detail-type", async () => {
    const { publisher, received } = await busWithQueue(inject("services").motoUrl);
    await publisher.publish([
      {
        type: "TokensRevoked",
        at: new Date(T0).toISOString(),
        detail: { items: 3, kinds: ["subject"], actor: "alice" },
      },
    ]);
    const [event] = await received(1);
    expect(event).toMatchObject({
      source: "keyward",
      "detail-type": "TokensRevoked",
      detail: { items: 3, kinds: ["subject"], actor: "alice" },
    });
  });

  it("carries a scheduled rotation's events from the rotation tick, the keyring in Secrets Manager", async () => {
    const { publisher, received } = await busWithQueue(inject("services").motoUrl);
    const clock = { now: () => T0 };
    const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
    const policy = resolvePolicy();
    const deps = {
      keyringName: "signing" as const,
      keyrings: new SecretsManagerKeyringStore({
        client: secretsManagerClient(inject("services").motoUrl),
        prefix: `keyward/${randomUUID()}`,
      }),
      revocations: new MemoryRevocationStore(timing, clock),
      audit: new MemoryAuditJournal(),
      events: publisher,
      clock,
      random: seededRandom("eventbridge"),
      policy,
      timing,
      usage: noUsage,
    };
    await deps.keyrings.save(await newKeyring("HS256", T0));
    expect(await tick(deps, T0 + 90 * DAY - prePublicationMs(policy))).toMatchObject({
      status: "applied",
    });
    expect(await tick(deps, T0 + 90 * DAY)).toMatchObject({ status: "applied" });
    const events = await received(2);
    expect(events.map((e) => e["detail-type"])).toEqual(["KeyCreated", "KeyActivated"]);
    const stored = await deps.keyrings.load();
    expect(events[1]?.detail.kid).toBe(stored!.keys.find((k) => k.status === "current")!.kid);
  });
});
