import type { JournalResponse } from "../../functions/ops-api/wire.ts";
import { calendarDate } from "../arguments.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { journalMarkdown } from "../output/journal-markdown.ts";

/** `keyward journal --since`: one Markdown entry per rotation. */
export const journal: Command = {
  positionals: [],
  options: ["since", "keyring"],
  synopsis: "journal --since YYYY-MM-DD [--keyring signing|sessions]",
  summary: "one Markdown entry per rotation since the date",
  examples: ["keyward journal --since 2026-01-01"],
  async run({ values, client, base, keyring, out }) {
    const since = calendarDate("since", values.since);
    const { body } = await client().expect("GET", `${base}/journal?since=${since}`);
    const journal = body as JournalResponse;
    out(journalMarkdown(journal.since, journal.rotations, keyring), body);
    return EXIT.ok;
  },
};
