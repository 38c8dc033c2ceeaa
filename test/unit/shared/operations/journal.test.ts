import { describe, expect, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { DAY, MINUTE } from "../../../../shared/kernel/clock.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import type { KeyringStore } from "../../../../shared/keyring-store/store.ts";
import { rotationJournal } from "../../../../shared/operations/journal.ts";
import { reinstate, rollbackKeys } from "../../../../shared/operations/rollback.ts";
import { rotate } from "../../../../shared/operations/rotate.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { corruptingStore, newKeyring } from "../../../support/keyrings.ts";
import { usageCounts } from "../../../support/usage.ts";

const policy = resolvePolicy();
const iso = (ms: number) => new Date(ms).toISOString();

async function setup(keyrings: KeyringStore = new MemoryKeyringStore()) {
  const clock = { t: T0, now: () => clock.t };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  const deps = {
    keyringName: "signing" as const,
    keyrings,
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(),
    events: new MemoryEventPublisher(),
    clock,
    random: seededRandom("journal"),
    policy,
    timing,
    usage: noUsage,
  };
  await keyrings.save(await newKeyring("HS256", T0));
  const at = async (ms: number) => {
    clock.t = ms;
    return tick(deps, ms);
  };
  const kids = async () => (await keyrings.load())!.keys.map((k) => k.kid);
  return { deps, clock, at, kids };
}

describe("rotationJournal", () => {
  it("writes one entry per rotation: trigger, old and new key, phases, self-test, refusals", async () => {
    const { deps, clock, at, kids } = await setup();
    const usage = new MemoryUsageStore();
    const scheduled = T0 + 90 * DAY;
    await at(scheduled - prePublicationMs(policy));
    await at(scheduled);
    const [k0, k1] = await kids();
    await at(scheduled + 21 * DAY);
    await usage.add(usageCounts({}, { [k0!]: 3 }), clock.t);
    await at(scheduled + 28 * DAY);

    clock.t = T0 + 120 * DAY;
    const emergency = await rotate(deps, {
      mode: "immediate",
      reason: "key found in a public repository",
      actor: "ic",
    });
    const k2 = emergency.ok ? emergency.value.kid : "";
    await usage.add(usageCounts({}, { [k1!]: 5 }), clock.t);

    clock.t = T0 + 130 * DAY;
    const manual = await rotate(deps, { mode: "graceful", reason: "new HSM", actor: "alice" });
    const k3 = manual.ok ? manual.value.kid : "";
    await at(clock.t + prePublicationMs(policy));
    clock.t += DAY;
    await rollbackKeys(deps, { reason: "clients pinned the old key", actor: "bob" });

    const journal = await rotationJournal({ audit: deps.audit, usage }, T0);
    expect(journal.map((r) => [r.trigger, r.oldKid, r.newKid])).toEqual([
      ["scheduled", k0, k1],
      ["emergency", k1, k2],
      ["manual", k2, k3],
      ["rollback", k3, k2],
    ]);
    expect(journal[0]).toMatchObject({
      actor: "rotation",
      activatedAt: iso(scheduled),
      selfTest: "passed",
      rolledBack: false,
      refusedVerifications: 3,
      phases: [
        { phase: "published", at: iso(scheduled - prePublicationMs(policy)) },
        { phase: `${k1} current, ${k0} previous`, at: iso(scheduled) },
        { phase: `${k0} retired`, at: iso(scheduled + 21 * DAY) },
        { phase: `${k0} destroyed`, at: iso(scheduled + 28 * DAY) },
      ],
    });
    expect(journal[1]).toMatchObject({
      actor: "ic",
      reason: "key found in a public repository",
      compromised: [k1],
      selfTest: "passed",
      refusedVerifications: 5,
    });
    expect(journal[2]).toMatchObject({ actor: "alice", reason: "new HSM", selfTest: "passed" });
    expect(journal[3]).toMatchObject({
      actor: "bob",
      reason: "clients pinned the old key",
      selfTest: "not run",
      refusedVerifications: 0,
    });

    const recent = await rotationJournal({ audit: deps.audit }, T0 + 125 * DAY);
    expect(recent.map((r) => r.trigger)).toEqual(["manual", "rollback"]);
    expect(recent[0]!.refusedVerifications).toBeNull();
  });

  it("stops counting a key's refusals against a rotation once the key is reinstated", async () => {
    const { deps, clock, at, kids } = await setup();
    const usage = new MemoryUsageStore();
    await at(T0 + 90 * DAY - prePublicationMs(policy));
    await at(T0 + 90 * DAY);
    await at(T0 + 111 * DAY);
    const [k0] = await kids();
    await usage.add(usageCounts({}, { [k0!]: 4 }), clock.t);
    expect((await rotationJournal({ audit: deps.audit, usage }, T0))[0]).toMatchObject({
      refusedVerifications: 4,
    });
    clock.t += MINUTE;
    expect((await reinstate(deps, { kid: k0!, reason: "partner", actor: "bob" })).ok).toBe(true);
    const [entry] = await rotationJournal({ audit: deps.audit, usage }, T0);
    expect(entry!.phases.map((p) => p.phase)).toEqual([
      "published",
      expect.stringContaining("current"),
      `${k0} retired`,
      `${k0} reinstated`,
    ]);
    expect(entry!.refusedVerifications).toBe(0);
  });

  it("records an activation the self-test rolled back, with the failure", async () => {
    // Fault injected (see corruptingStore): the newly activated key reads back with other material.
    const { store: corrupting } = corruptingStore(T0 + 90 * DAY);
    const { deps, at } = await setup(corrupting);
    await at(T0 + 90 * DAY - prePublicationMs(policy));
    expect(await at(T0 + 90 * DAY)).toMatchObject({ status: "failed" });
    const [entry] = await rotationJournal({ audit: deps.audit }, T0);
    expect(entry).toMatchObject({ trigger: "scheduled", selfTest: "failed", rolledBack: true });
    expect(entry!.phases.at(-1)!.phase).toContain("self-test failed");
  });
});
