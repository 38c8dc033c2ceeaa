import type { KeyringName } from "../../shared/keyring/names.ts";
import type { RotationRecord } from "../../shared/operations/journal.ts";
import { markdownText as md, oneLine } from "./terminal-text.ts";

const TRIGGER_TEXT: Record<RotationRecord["trigger"], string> = {
  scheduled: "scheduled",
  manual: "manual (graceful)",
  emergency: "emergency (key compromise)",
  rollback: "rollback",
  import: "import of an existing secret",
};

/**
 * The journal entries operators used to write by hand after a rotation (runbook 003: trigger,
 * old → new, timestamps, smoke test, user impact), one section per rotation, oldest first. Stored
 * text (actors, reasons, phases) is escaped: a reason cannot add a heading, a link or a line.
 */
export function journalMarkdown(
  since: string,
  rotations: readonly RotationRecord[],
  keyring: KeyringName = "signing",
): string {
  const what = keyring === "sessions" ? "Session-encryption key" : "JWT signing key";
  const lines = [`## ${what} rotations since ${md(since.slice(0, 10))}`, ""];
  if (rotations.length === 0) lines.push("No rotation in this period.", "");
  for (const r of rotations) {
    // Inside a code span nothing is markup; only a backtick could end it.
    const kid = (k: string) => `\`${oneLine(k).replaceAll("`", "")}\``;
    const change = r.oldKid === undefined ? kid(r.newKid) : `${kid(r.oldKid)} → ${kid(r.newKid)}`;
    const status = r.rolledBack ? "rolled back" : "done";
    lines.push(
      `### Key rotation: ${r.trigger}, ${change} [${status} ${md(r.activatedAt.slice(0, 10))}]`,
      "",
      `- Trigger: ${TRIGGER_TEXT[r.trigger]}; by ${md(r.actor)}${r.reason === "" ? "" : `; reason: ${md(r.reason)}`}`,
      `- Keys: ${change}${r.compromised.length > 0 ? `; retired as compromised: ${r.compromised.map(kid).join(", ")}` : ""}`,
      "- Phases:",
      ...r.phases.map((p) => `  - ${md(p.at)}: ${md(p.phase)}`),
      `- Self-test: ${r.selfTest}${r.rolledBack ? " (the keyring was put back as it was)" : ""}`,
      `- Verifications refused because of it: ${r.refusedVerifications ?? "unknown (no usage figures)"}`,
      "",
    );
  }
  return lines.join("\n");
}
