import type { AuditResponse } from "../../functions/ops-api/wire.ts";
import { wholeNumber } from "../arguments.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { auditText } from "../output/text.ts";

/** `keyward audit`: the audit journal, newest first. */
export const audit: Command = {
  positionals: [],
  options: ["limit", "before"],
  synopsis: "audit [--limit N] [--before SEQ]",
  summary: "the audit journal, newest first (N from 1 to 500, default 50)",
  examples: ["keyward audit --limit 5"],
  async run({ values, client, out }) {
    const query = new URLSearchParams();
    const limit = wholeNumber("limit", values.limit, 1, 500);
    const before = wholeNumber("before", values.before, 1, Number.MAX_SAFE_INTEGER);
    if (limit !== undefined) query.set("limit", String(limit));
    if (before !== undefined) query.set("before", String(before));
    const { body } = await client().expect("GET", `/v1/audit?${query}`);
    out(auditText(body as AuditResponse), body);
    return EXIT.ok;
  },
};
