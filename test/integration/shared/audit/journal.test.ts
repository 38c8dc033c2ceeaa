import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import type { AuditEntry, AuditJournal } from "../../../../shared/audit/journal.ts";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { UpstashAuditJournal } from "../../../../shared/audit/upstash.ts";

const adapters: [string, (capacity?: number) => AuditJournal][] = [
  ["memory", (capacity) => new MemoryAuditJournal(capacity)],
  [
    "Upstash (local REST server)",
    (capacity) => {
      const { upstashUrl, upstashToken } = inject("services");
      return new UpstashAuditJournal(
        { url: upstashUrl, token: upstashToken },
        capacity,
        `a${randomUUID()}:`,
      );
    },
  ],
];

const entry = (n: number): AuditEntry => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: "oncall-alice",
  action: "revoke",
  target: `sub:user-${n}`,
  reason: "account compromise",
  result: "ok",
  details: { items: 1 },
});

describe.each(adapters)("audit journal contract: %s", (_name, make) => {
  it("reads newest first, in stable pages", async () => {
    const journal = make();
    for (let n = 1; n <= 7; n++) await journal.append(entry(n));
    const first = await journal.read({ limit: 3 });
    expect(first.entries.map((e) => e.target)).toEqual(["sub:user-7", "sub:user-6", "sub:user-5"]);
    await journal.append(entry(8));
    const second = await journal.read({ limit: 3, before: first.next! });
    expect(second.entries.map((e) => e.target)).toEqual(["sub:user-4", "sub:user-3", "sub:user-2"]);
    const last = await journal.read({ limit: 3, before: second.next! });
    expect(last.entries.map((e) => e.target)).toEqual(["sub:user-1"]);
    expect(last.next).toBeUndefined();
    expect(first.entries[0]).toMatchObject({ ...entry(7), seq: expect.any(Number) });
  });

  it("keeps only the newest entries up to its capacity", async () => {
    const journal = make(5);
    for (let n = 1; n <= 8; n++) await journal.append(entry(n));
    const page = await journal.read({ limit: 100 });
    expect(page.entries.map((e) => e.target)).toEqual([
      "sub:user-8",
      "sub:user-7",
      "sub:user-6",
      "sub:user-5",
      "sub:user-4",
    ]);
  });

  it("stores an entry holding a token with the token replaced by a marker", async () => {
    const journal = make();
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
    await journal.append({ ...entry(1), reason: `revoked ${token} now` });
    await journal.append({ ...entry(2), target: `sub:${token}`, details: { note: token } });
    const page = await journal.read();
    expect(JSON.stringify(page)).not.toContain("eyJ");
    expect(page.entries.map((e) => [e.reason, e.target, e.details])).toEqual([
      ["account compromise", "sub:[token removed]", { note: "[token removed]" }],
      ["revoked [token removed] now", "sub:user-1", { items: 1 }],
    ]);
  });

  it("keeps intended changes until they are settled, oldest first", async () => {
    const journal = make();
    const change = (id: string, intendedAt: number) => ({
      id,
      intendedAt,
      entry: entry(intendedAt),
      events: [{ type: "TokensRevoked" as const, at: entry(1).at, detail: { kinds: ["all"] } }],
      proof: {
        kind: "revocations" as const,
        atMs: intendedAt,
        targets: [{ kind: "all" as const }],
      },
    });
    await journal.intend(change("b", 2));
    await journal.intend(change("a", 1));
    await journal.intend({
      ...change("b", 2),
      proof: { kind: "key", kid: "k", field: "createdAt", atMs: 2 },
    });
    expect(await journal.unsettled()).toEqual([
      change("a", 1),
      { ...change("b", 2), proof: { kind: "key", kid: "k", field: "createdAt", atMs: 2 } },
    ]);
    await journal.settle("a");
    await journal.settle("nothing");
    expect((await journal.unsettled()).map((c) => c.id)).toEqual(["b"]);
  });

  it("cuts over-long fields and refuses page sizes out of range", async () => {
    const journal = make();
    const stored = await journal.append({ ...entry(1), reason: "x".repeat(5000) });
    expect(stored.reason).toHaveLength(512);
    await expect(journal.read({ limit: 0 })).rejects.toThrow(
      /limit must be a whole number from 1 to 500/,
    );
  });
});
