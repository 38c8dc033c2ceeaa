import { describe, expect, it } from "vitest";
import { initKeyring } from "../../../../shared/operations/init.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "alice", reason: "first deploy" } as const;

describe("initKeyring", () => {
  it("creates the keyring with one generated key, current at once, journaled and announced", async () => {
    const { deps, keyrings, audit, events } = await memoryOperations();
    const result = await initKeyring(deps, request);
    expect(result.ok).toBe(true);
    const kid = result.ok ? result.value.kid : "";
    expect((await keyrings.load())?.keys).toMatchObject([{ kid, status: "current", alg: "HS256" }]);
    expect(await journalLines(audit)).toEqual(["keys.init ok"]);
    expect(events.published).toMatchObject([
      { type: "KeyCreated", detail: { kid, actor: "alice" } },
    ]);
  });

  it("refuses once the keyring exists, and changes nothing", async () => {
    const { deps, keyrings, audit } = await memoryOperations();
    await initKeyring(deps, request);
    const before = await keyrings.load();
    expect(await initKeyring(deps, request)).toMatchObject({ ok: false, code: "keyring_exists" });
    expect(await keyrings.load()).toEqual(before);
    expect((await journalLines(audit)).at(-1)).toBe("keys.init refused keyring_exists");
  });

  it("gives the sessions keyring an A256GCM key", async () => {
    const { deps, keyrings } = await memoryOperations({
      keyringName: "sessions",
      policy: { algorithm: "A256GCM" },
    });
    expect((await initKeyring(deps, request)).ok).toBe(true);
    expect((await keyrings.load())?.keys.map((k) => k.alg)).toEqual(["A256GCM"]);
  });
});
