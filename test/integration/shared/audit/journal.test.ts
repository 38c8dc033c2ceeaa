import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import type { AuditEntry, AuditJournal } from "../../../../shared/audit/journal.ts";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { UpstashAuditJournal } from "../../../../shared/audit/upstash.ts";
import { UsageError } from "../../../../shared/errors.ts";

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

  it("refuses an entry holding a token, and stores nothing of it", async () => {
    const journal = make();
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
    await expect(journal.append({ ...entry(1), reason: `revoked ${token}` })).rejects.toThrow(
      UsageError,
    );
    await expect(journal.append({ ...entry(1), details: { token } })).rejects.toThrow(
      /details|token/,
    );
    expect((await journal.read()).entries).toEqual([]);
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
