import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import type { KeyringName } from "../../../../shared/keyring/names.ts";
import { activateKey } from "../../../../shared/keyring/transitions.ts";
import { tickAll } from "../../../../shared/operations/tick-all.ts";
import { MemoryUsageStore } from "../../../../shared/usage/counts.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { memoryOperations } from "../../../support/operation-deps.ts";
import { usageCounts } from "../../../support/usage.ts";

describe("tickAll", () => {
  it("ticks every keyring in order, and names the previous key lingering most past its minimum grace", async () => {
    const pending = await withPending(await newKeyring("HS256"), "HS256", T0, seededRandom("t"));
    const [old, fresh] = pending.keys.map((k) => k.kid) as [string, string];
    const signing = await memoryOperations({
      keyring: expectOk(activateKey(pending, fresh, T0)),
    });
    const sessions = await memoryOperations({
      keyringName: "sessions",
      policy: { algorithm: "A256GCM" },
    });
    const usage = new MemoryUsageStore();
    const now = T0 + 8 * DAY;
    await usage.add(usageCounts({ [old]: 1, [fresh]: 1 }), now);
    const heard: KeyringName[] = [];
    const outcome = await tickAll(
      [
        { ...signing.deps, usage },
        { ...sessions.deps, usage },
      ],
      now,
      (keyring) => heard.push(keyring),
    );
    expect(heard).toEqual(["signing", "sessions"]);
    expect(outcome.outcomes).toMatchObject({
      signing: { status: "idle" },
      sessions: { status: "absent" },
    });
    expect(outcome.lingering).toEqual({ keyring: "signing", kid: old, share: 0.5 });
  });
});
