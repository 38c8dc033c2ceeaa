import { describe, expect, it } from "vitest";
import { journalMarkdown } from "../../../../cli/output/journal-markdown.ts";
import type { RotationRecord } from "../../../../shared/operations/journal.ts";

const emergency: RotationRecord = {
  trigger: "emergency",
  actor: "ic",
  reason: "key found in a public repository",
  newKid: "new-kid",
  oldKid: "old-kid",
  compromised: ["old-kid", "older-kid"],
  activatedAt: "2026-03-02T10:00:00.000Z",
  phases: [
    { phase: "new-kid current", at: "2026-03-02T10:00:00.000Z" },
    { phase: "global revocation cut-off set", at: "2026-03-02T10:00:00.000Z" },
  ],
  selfTest: "passed",
  rolledBack: false,
  refusedVerifications: 1234,
};

describe("journalMarkdown", () => {
  it("writes the runbook's entry: trigger and reason, old → new, phases, self-test, refusals", () => {
    expect(journalMarkdown("2026-03-01T00:00:00.000Z", [emergency])).toBe(
      [
        "## JWT signing key rotations since 2026-03-01",
        "",
        "### Key rotation: emergency, `old-kid` → `new-kid` [done 2026-03-02]",
        "",
        "- Trigger: emergency (key compromise); by ic; reason: key found in a public repository",
        "- Keys: `old-kid` → `new-kid`; retired as compromised: `old-kid`, `older-kid`",
        "- Phases:",
        "  - 2026-03-02T10:00:00.000Z: new-kid current",
        "  - 2026-03-02T10:00:00.000Z: global revocation cut-off set",
        "- Self-test: passed",
        "- Verifications refused because of it: 1234",
        "",
      ].join("\n"),
    );
  });

  it("says when nothing rotated, when figures are missing and when a self-test rolled back", () => {
    expect(journalMarkdown("2026-03-01T00:00:00.000Z", [])).toContain(
      "No rotation in this period.",
    );
    const failed = journalMarkdown("2026-03-01T00:00:00.000Z", [
      {
        ...emergency,
        trigger: "scheduled",
        selfTest: "failed",
        rolledBack: true,
        refusedVerifications: null,
      },
    ]);
    expect(failed).toContain("[rolled back 2026-03-02]");
    expect(failed).toContain("- Self-test: failed (the keyring was put back as it was)");
    expect(failed).toContain("- Verifications refused because of it: unknown (no usage figures)");
  });

  it("escapes stored text, so a reason cannot add a heading, a link, a line or a terminal sequence", () => {
    const text = journalMarkdown("2026-03-01T00:00:00.000Z", [
      {
        ...emergency,
        actor: "eve\r\n### Key rotation: forged",
        reason: "see [here](https://evil.example) \u001b[2J<script>",
      },
    ]);
    expect(text.split("\n").filter((line) => line.startsWith("###"))).toHaveLength(1);
    expect(text).toContain(
      "by eve\\\\x0d\\\\x0a\\#\\#\\# Key rotation: forged; reason: see \\[here\\](https://evil.example) \\\\x1b\\[2J\\<script\\>",
    );
    expect(text).not.toContain("\u001b");
  });
});
