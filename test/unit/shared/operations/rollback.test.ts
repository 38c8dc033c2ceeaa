import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { activateKey, retireKey } from "../../../../shared/keyring/transitions.ts";
import { emergency } from "../../../../shared/operations/emergency.ts";
import { reinstate, rollbackKeys } from "../../../../shared/operations/rollback.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring, withPending } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "alice", reason: "the new key broke a partner" } as const;

/** A keyring whose first key is previous and second current, activated a day after T0. */
async function rotated() {
  const first = await newKeyring("HS256");
  const pending = await withPending(first, "HS256", T0, seededRandom("rollback"));
  const [previous, current] = pending.keys.map((k) => k.kid) as [string, string];
  return { keyring: expectOk(activateKey(pending, current, T0 + DAY)), previous, current };
}

describe("rollbackKeys", () => {
  it("makes the previous key current again, and the replaced one previous", async () => {
    const { keyring, previous, current } = await rotated();
    const { deps, keyrings, audit, events } = await memoryOperations({ keyring });
    expect(await rollbackKeys(deps, request)).toMatchObject({ ok: true, value: { kid: previous } });
    const keys = (await keyrings.load())?.keys ?? [];
    expect(keys.find((k) => k.kid === previous)?.status).toBe("current");
    expect(keys.find((k) => k.kid === current)?.status).toBe("previous");
    expect(await journalLines(audit)).toEqual(["rollback ok"]);
    expect(events.published).toMatchObject([
      { type: "KeyRolledBack", detail: { kid: previous, replaces: current } },
    ]);
  });

  it("refuses without a previous key, and never brings back a compromised one", async () => {
    const { deps, audit } = await memoryOperations({ keyring: await newKeyring("HS256") });
    expect(await rollbackKeys(deps, request)).toMatchObject({ ok: false, code: "no_previous_key" });
    await emergency(deps, request);
    expect(await rollbackKeys(deps, request)).toMatchObject({ ok: false, code: "no_previous_key" });
    expect(await journalLines(audit)).toEqual([
      "rollback refused no_previous_key",
      "rotate.immediate ok",
      "rollback refused no_previous_key",
    ]);
  });
});

describe("reinstate", () => {
  it("lets a retired key verify again, as previous", async () => {
    const { keyring, previous } = await rotated();
    const retired = expectOk(retireKey(keyring, previous, T0 + 20 * DAY));
    const { deps, keyrings } = await memoryOperations({ keyring: retired });
    expect(await reinstate(deps, { ...request, kid: previous })).toMatchObject({ ok: true });
    expect((await keyrings.load())?.keys.find((k) => k.kid === previous)?.status).toBe("previous");
  });

  it("refuses a compromised key, and a kid the keyring does not have", async () => {
    const { deps, keyrings } = await memoryOperations({ keyring: await newKeyring("HS256") });
    const [old] = (await keyrings.load())?.keys ?? [];
    await emergency(deps, request);
    expect(await reinstate(deps, { ...request, kid: old?.kid ?? "" })).toMatchObject({
      ok: false,
      code: "key_compromised",
    });
    expect(await reinstate(deps, { ...request, kid: "no-such-kid-0000000000" })).toMatchObject({
      ok: false,
      code: "key_not_found",
    });
  });
});
