import { describe, expect, it } from "vitest";
import { journalBody } from "../../../console/views/pages.ts";
import { timelineSvg } from "../../../console/views/timeline.ts";
import type { AuditResponse, KeysResponse, PlanResponse } from "../../../functions/ops-api/wire.ts";
import { DAY } from "../../../shared/kernel/clock.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

const keys: KeysResponse = {
  revision: 3,
  updatedAt: iso(NOW),
  retireBelowShare: 0.05,
  keys: [
    {
      kid: "old-key-0123456789abcd",
      alg: "HS256",
      status: "previous",
      compromised: false,
      legacy: false,
      createdAt: iso(NOW - 100 * DAY),
      activatedAt: iso(NOW - 100 * DAY),
      deactivatedAt: iso(NOW - 10 * DAY),
      share: 0.1,
      staleSigner: 0,
      next: { action: "retire", earliest: iso(NOW - 3 * DAY), latest: iso(NOW + 11 * DAY) },
    },
    {
      kid: "new-key-0123456789abcd",
      alg: "HS256",
      status: "current",
      compromised: false,
      legacy: false,
      createdAt: iso(NOW - 10 * DAY),
      activatedAt: iso(NOW - 10 * DAY),
      share: 0.9,
      staleSigner: 0,
      next: { action: "publish-successor", earliest: iso(NOW + 80 * DAY) },
    },
  ],
};
const plan: PlanResponse = {
  days: 365,
  transitions: [
    { at: iso(NOW + 11 * DAY), action: "retire", kid: "old-key-0123456789abcd", reason: "grace" },
    { at: iso(NOW + 18 * DAY), action: "destroy", kid: "old-key-0123456789abcd", reason: "kept" },
    { at: iso(NOW + 80 * DAY), action: "activate", reason: "scheduled" },
  ],
};

describe("the console's timeline", () => {
  it("draws each key's past phases solid and its planned ones faded, in words too", async () => {
    const svg = String(await timelineSvg(keys, plan, [], NOW, "signing"));
    expect(svg).toContain('role="img"');
    // The old key: current then previous until now (solid), previous then retired planned.
    expect(svg).toContain(
      `Key old-key-0123456789abcd, previous: current ${iso(NOW - 100 * DAY)
        .slice(0, 16)
        .replace("T", " ")} to ${iso(NOW - 10 * DAY)
        .slice(0, 16)
        .replace(
          "T",
          " ",
        )}, previous 2026-11-27 12:00 to 2026-12-07 12:00, previous (planned) 2026-12-07 12:00 to 2026-12-18 12:00, retired (planned) 2026-12-18 12:00 to 2026-12-25 12:00.`,
    );
    // The current key turns previous when the plan activates its successor.
    expect(svg).toContain(
      "current (planned) 2026-12-07 12:00 to 2027-02-25 12:00, previous (planned) 2027-02-25 12:00",
    );
    expect((svg.match(/stroke-dasharray="4 3"/g) ?? []).length).toBe(4);
  });
});

describe("the console's journal", () => {
  it("shows a planted reason as text: escaped for HTML, its control characters made visible", async () => {
    const audit: AuditResponse = {
      entries: [
        {
          seq: 1,
          at: iso(NOW),
          actor: "ic\u202Eevil",
          action: "revoke",
          target: "sub:mallory",
          reason: "<script>alert(1)</script>\u001b[2J<img src=x onerror=alert(2)>",
          result: "ok",
        },
      ],
    };
    const page = String(await journalBody("/console", [], audit, {}));
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J&lt;img");
    expect(page).toContain("ic\\u202eevil");
    expect(page).not.toContain("\u001b");
  });
});
