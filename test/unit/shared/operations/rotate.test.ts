import { describe, expect, it } from "vitest";
import { prePublicationMs } from "../../../../shared/keyring/policy.ts";
import { KeyringConflict } from "../../../../shared/keyring-store/store.ts";
import { rotate } from "../../../../shared/operations/rotate.ts";
import { T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "alice", reason: "quarterly" } as const;

describe("rotate (graceful)", () => {
  it("publishes a new pending key that signs once every cached verifier knows it, journaled and announced", async () => {
    const { deps, keyrings, audit, events } = await memoryOperations({
      keyring: await newKeyring("HS256"),
    });
    const result = await rotate(deps, { ...request, mode: "graceful" });
    expect(result).toMatchObject({
      ok: true,
      value: {
        mode: "graceful",
        activatesAt: new Date(T0 + prePublicationMs(deps.policy)).toISOString(),
      },
    });
    const kid = result.ok ? result.value.kid : "";
    expect((await keyrings.load())?.keys.map((k) => [k.kid === kid, k.status])).toEqual([
      [false, "current"],
      [true, "pending"],
    ]);
    expect(await journalLines(audit)).toEqual(["rotate.graceful ok"]);
    expect(events.published).toMatchObject([
      { type: "KeyCreated", detail: { kid, actor: "alice" } },
    ]);
    expect(await audit.unsettled()).toEqual([]);
  });

  it("refuses a second rotation while a key is pending, journals the refusal and writes nothing", async () => {
    const { deps, keyrings, audit, events } = await memoryOperations({
      keyring: await newKeyring("HS256"),
    });
    await rotate(deps, { ...request, mode: "graceful" });
    const before = await keyrings.load();
    expect(await rotate(deps, { ...request, mode: "graceful" })).toMatchObject({
      ok: false,
      code: "rotation_in_progress",
    });
    expect(await keyrings.load()).toEqual(before);
    expect(await journalLines(audit)).toEqual([
      "rotate.graceful ok",
      "rotate.graceful refused rotation_in_progress",
    ]);
    expect(events.published).toHaveLength(1);
  });

  it("refuses when there is no keyring yet", async () => {
    const { deps } = await memoryOperations();
    expect(await rotate(deps, { ...request, mode: "graceful" })).toMatchObject({
      ok: false,
      code: "key_not_found",
    });
  });

  it("answers keyring_conflict after other writers won three times, and leaves no intent behind", async () => {
    // Fault injection: a store whose every commit loses the race (the real ones cannot be made to).
    const { deps, audit } = await memoryOperations({
      keyring: await newKeyring("HS256"),
      keyrings: (real) => ({
        load: () => real.load(),
        loadPrevious: () => real.loadPrevious(),
        save: async () => {
          throw new KeyringConflict("another writer committed first");
        },
      }),
    });
    expect(await rotate(deps, { ...request, mode: "graceful" })).toMatchObject({
      ok: false,
      code: "keyring_conflict",
    });
    expect(await audit.unsettled()).toEqual([]);
    expect(await journalLines(audit)).toEqual(["rotate.graceful refused keyring_conflict"]);
  });
});
