import type {
  AuditResponse,
  CheckResponse,
  FamiliesResponse,
  KeysResponse,
  PlanResponse,
} from "../../functions/ops-api/wire.ts";
import { oneLine } from "./terminal-text.ts";

/*
 * The ops API's answers as people read them, one line per item; every value from the API is
 * made one line (`oneLine`) so a planted escape sequence or line break cannot forge output.
 */

/**
 * One line per key: status, share of the last day's verifications or opened sessions (when
 * figures exist) and the next transition. Dates are the policy's earliest; a previous key's
 * retirement depends on its share, so its latest is shown too (`plan` projects with unknown usage).
 */
export function statusText(body: KeysResponse, counted: string): string {
  const pending = body.keys.find((k) => k.status === "pending");
  return body.keys
    .map((k) => {
      const share = k.share === null ? "" : `  ${(k.share * 100).toFixed(1)} % of ${counted}`;
      let next = "";
      if (k.status === "current" && pending !== undefined)
        next = `  next: previous when ${oneLine(pending.kid)} activates`;
      else if (k.next?.latest !== undefined)
        next = `  next: ${oneLine(k.next.action)} from ${oneLine(k.next.earliest)} (once its share is low), by ${oneLine(k.next.latest)} at the latest`;
      else if (k.next) next = `  next: ${oneLine(k.next.action)} from ${oneLine(k.next.earliest)}`;
      const stale =
        (k.staleSigner ?? 0) > 0
          ? `\n           stale signer: ${k.staleSigner} tokens in the last two hours were signed with ${oneLine(k.kid)} after it stopped signing${k.legacy ? " (or with the imported secret, outside keyward)" : ""}: a login service does not sign through keyward; its retirement waits. Restart or fix that service (keyward/issuer, or POST /v1/tokens).`
          : "";
      const held = k.kmsKeyArn === undefined ? "" : `\n           in KMS: ${oneLine(k.kmsKeyArn)}`;
      return `${oneLine(k.status).padEnd(10)} ${oneLine(k.kid)}  ${oneLine(k.alg).padEnd(6)}${k.compromised ? " compromised" : ""}${share}${next}${held}${stale}`;
    })
    .join("\n");
}

/**
 * The rule that refuses the most first, then every other rule that applies. A cut-off refuses
 * tokens issued at or before its millisecond; a token or key rule refuses outright.
 */
export function checkText(value: CheckResponse): string {
  if (!value.revoked) return "not revoked";
  const [first, ...others] = value.rules.length > 0 ? value.rules : [value];
  const lines = [`revoked by ${ruleText(first ?? value)}`];
  for (const other of others) lines.push(`  also ${ruleText(other)}`);
  return lines.join("\n");
}

function ruleText({ rule, since }: { rule: string; since: string }): string {
  if (rule === "token") return `token rule since ${oneLine(since)}`;
  if (rule === "kid") return `kid rule since ${oneLine(since)}: every token of the key is refused`;
  return `${oneLine(rule)} rule: tokens issued at or before ${oneLine(since)} are refused`;
}

export function auditText(page: AuditResponse): string {
  const lines = page.entries.map(
    (e) =>
      `${String(e.seq).padStart(5)} ${oneLine(e.at)} ${oneLine(e.actor).padEnd(12)} ${oneLine(e.action).padEnd(16)} ${oneLine(e.result).padEnd(8)} ${oneLine(e.target ?? "")}  ${oneLine(e.reason ?? "")}`,
  );
  if (page.next !== undefined) lines.push(`(more: --before ${page.next})`);
  return lines.join("\n") || "(empty)";
}

export function planText(plan: PlanResponse): string {
  return (
    plan.transitions
      .map(
        (t) =>
          `${oneLine(t.at)}  ${oneLine(t.action).padEnd(9)} ${oneLine(t.kid ?? "(new key)")}  (${oneLine(t.reason)})`,
      )
      .join("\n") || "nothing due"
  );
}

export function familiesText(body: FamiliesResponse): string {
  return (
    body.families
      .map(
        (f) =>
          `${oneLine(f.familyId)}  created ${oneLine(f.createdAt)}  last used ${oneLine(f.lastUsedAt)}  until ${oneLine(f.expiresAt)}  ${oneLine(f.client ?? "-")}  ${oneLine(f.userAgent ?? "")}`,
      )
      .join("\n") || "(no live families)"
  );
}
