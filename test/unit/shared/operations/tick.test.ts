import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { DAY, HOUR } from "../../../../shared/kernel/clock.ts";
import { importLegacySecret } from "../../../../shared/keyring/import-legacy.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import type { KeyringStore } from "../../../../shared/keyring-store/store.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { corruptingStore, expectOk, newKeyring } from "../../../support/keyrings.ts";
import { usageCounts } from "../../../support/usage.ts";

const policy = resolvePolicy();
const PUBLISH_AT = T0 + 90 * DAY - prePublicationMs(policy);

async function setup(keyrings: KeyringStore = new MemoryKeyringStore()) {
  const clock = { now: () => T0 };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const events = new MemoryEventPublisher();
  const audit = new MemoryAuditJournal();
  const deps = {
    keyringName: "signing" as const,
    keyrings,
    revocations: new MemoryRevocationStore(timing, clock),
    audit,
    events,
    clock,
    random: seededRandom("tick"),
    policy,
    timing,
    usage: noUsage,
  };
  return { deps, events, audit };
}

describe("tick", () => {
  it("does nothing when nothing is due", async () => {
    const { deps, events } = await setup();
    await deps.keyrings.save(await newKeyring());
    expect(await tick(deps, T0 + DAY)).toEqual({ status: "idle" });
    expect(events.published).toEqual([]);
  });

  it("publishes the scheduled key, journals and announces it, and does nothing the second time", async () => {
    const { deps, events, audit } = await setup();
    await deps.keyrings.save(await newKeyring());
    const outcome = await tick(deps, PUBLISH_AT);
    expect(outcome).toMatchObject({
      status: "applied",
      actions: [{ type: "publish" }],
      revision: 2,
    });
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated"]);
    expect((await audit.read()).entries[0]).toMatchObject({
      actor: "rotation",
      action: "policy.publish",
      result: "ok",
    });
    expect(await tick(deps, PUBLISH_AT)).toEqual({ status: "idle" });
    expect(events.published).toHaveLength(1);
  });

  it("activates after pre-publication, once the self-test passes against the stored keyring", async () => {
    const { deps, events } = await setup();
    await deps.keyrings.save(await newKeyring());
    await tick(deps, PUBLISH_AT);
    const outcome = await tick(deps, T0 + 90 * DAY);
    expect(outcome).toMatchObject({ status: "applied", actions: [{ type: "activate" }] });
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated", "KeyActivated"]);
    expect((await deps.keyrings.load())!.keys.map((k) => k.status)).toEqual([
      "previous",
      "current",
    ]);
  });

  it("holds a previous key past its maximum grace while a stale signer still signs with it, announcing StaleSigner, and retires it once that stops", async () => {
    const { deps, events } = await setup();
    await deps.keyrings.save(await newKeyring());
    await tick(deps, PUBLISH_AT);
    await tick(deps, T0 + 90 * DAY);
    const [previous, current] = (await deps.keyrings.load())!.keys.map((k) => k.kid);
    const usage = new MemoryUsageStore();
    const at = T0 + 90 * DAY + policy.maxGraceMs + HOUR;
    // A login service that never followed the rotation: nearly every token is the old key's.
    await usage.add(usageCounts({ [previous!]: 97, [current!]: 3 }, {}, { [previous!]: 97 }), at);
    expect(await tick({ ...deps, usage }, at)).toMatchObject({ status: "idle" });
    expect(events.published.at(-1)).toMatchObject({
      type: "StaleSigner",
      detail: { kid: previous, tokens: 97, holds: "retire" },
    });
    expect((await deps.keyrings.load())!.keys.map((k) => k.status)).toEqual([
      "previous",
      "current",
    ]);
    // The service is fixed: two hours without such tokens, and the maximum grace applies again.
    expect(await tick({ ...deps, usage }, at + 2 * HOUR)).toMatchObject({
      status: "applied",
      actions: [{ type: "retire", kid: previous }],
    });
  });

  it("holds the first activation after an import while tokens in the legacy shape are still signed with the imported secret", async () => {
    const { deps, events } = await setup();
    const imported = expectOk(
      importLegacySecret(
        undefined,
        "the-secret-our-old-backend-signs-with-0123",
        "utf8",
        T0,
        seededRandom("legacy"),
      ),
    );
    await deps.keyrings.save(imported);
    const legacy = imported.keys[0]!.kid;
    await tick(deps, PUBLISH_AT);
    const usage = new MemoryUsageStore();
    const at = T0 + 90 * DAY;
    await usage.add(usageCounts({ [legacy]: 50 }, {}, { [legacy]: 50 }), at);
    expect(await tick({ ...deps, usage }, at)).toMatchObject({ status: "idle" });
    expect(events.published.at(-1)).toMatchObject({
      type: "StaleSigner",
      detail: { kid: legacy, holds: "activate" },
    });
    expect((await deps.keyrings.load())!.keys.map((k) => k.status)).toEqual(["current", "pending"]);
    expect(await tick({ ...deps, usage }, at + 2 * HOUR)).toMatchObject({
      actions: [{ type: "activate" }],
    });
  });

  it("holds the previous key while its share is 5 % or more (reporting it as lingering), and retires it once below", async () => {
    const { deps } = await setup();
    await deps.keyrings.save(await newKeyring());
    await tick(deps, PUBLISH_AT);
    await tick(deps, T0 + 90 * DAY);
    const [previous, current] = (await deps.keyrings.load())!.keys.map((k) => k.kid);
    const usage = new MemoryUsageStore();
    const at = T0 + 97 * DAY;
    await usage.add(usageCounts({ [previous!]: 6, [current!]: 94 }), at);
    expect(await tick({ ...deps, usage }, at)).toEqual({
      status: "idle",
      lingering: { kid: previous, share: 0.06 },
    });
    const later = at + 2 * HOUR;
    await usage.add(usageCounts({ [current!]: 2000 }), later);
    expect(await tick({ ...deps, usage }, later)).toMatchObject({
      status: "applied",
      actions: [{ type: "retire", kid: previous }],
    });
  });

  it("reads unreadable usage figures as unknown: the previous key is held", async () => {
    const { deps } = await setup();
    await deps.keyrings.save(await newKeyring());
    await tick(deps, PUBLISH_AT);
    await tick(deps, T0 + 90 * DAY);
    // Fault injected: a usage store that cannot answer.
    const down = { verificationsByKid: async () => Promise.reject(new Error("down")) };
    expect(await tick({ ...deps, usage: down }, T0 + 97 * DAY)).toEqual({ status: "idle" });
  });

  it("leaves one winner when two ticks race", async () => {
    const { deps } = await setup();
    await deps.keyrings.save(await newKeyring());
    const outcomes = await Promise.all([tick(deps, PUBLISH_AT), tick(deps, PUBLISH_AT)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["applied", "conflict"]);
    expect((await deps.keyrings.load())!.keys).toHaveLength(2);
  });

  it("changes nothing and announces RotationFailed when the keyring cannot be read", async () => {
    const broken: KeyringStore = {
      load: async () => {
        const { KeyringInvalid } = await import("../../../../shared/kernel/errors.ts");
        throw new KeyringInvalid(["keyring has 2 current keys"]);
      },
      loadPrevious: async () => undefined,
      save: async () => {
        throw new Error("a failed tick must not write");
      },
    };
    const { deps, events } = await setup(broken);
    expect(await tick(deps, PUBLISH_AT)).toEqual({ status: "failed", reason: "keyring_invalid" });
    expect(events.published).toEqual([
      expect.objectContaining({
        type: "RotationFailed",
        detail: { reason: "keyring_invalid", problems: 1 },
      }),
    ]);
  });

  it("restores the previous keyring and announces RotationFailed when the self-test fails", async () => {
    // Fault injected (see corruptingStore): the newly activated key reads back with other material.
    const { store: corrupting, real, repair } = corruptingStore(T0 + 90 * DAY);
    const { deps, events } = await setup(corrupting);
    await deps.keyrings.save(await newKeyring());
    await tick(deps, PUBLISH_AT);
    const before = await real.load();
    const outcome = await tick(deps, T0 + 90 * DAY);
    expect(outcome).toMatchObject({ status: "failed", reason: "self_test_failed" });
    repair();
    const after = await real.load();
    expect(after!.keys.map((k) => k.status)).toEqual(before!.keys.map((k) => k.status));
    expect(events.published.map((e) => e.type)).toEqual(["KeyCreated", "RotationFailed"]);
  });
});
