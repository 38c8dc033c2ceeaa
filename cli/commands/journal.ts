import { keyringReport } from "../../console/report.ts";
import type { JournalResponse } from "../../functions/ops-api/wire.ts";
import { calendarDate } from "../arguments.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { writeHtml } from "../html-report.ts";
import { journalMarkdown } from "../output/journal-markdown.ts";

/** `keyward journal --since`: one Markdown entry per rotation. */
export const journal: Command = {
  positionals: [],
  options: ["since", "keyring", "html"],
  synopsis: "journal --since YYYY-MM-DD [--html FILE] [--keyring signing|sessions]",
  summary:
    "one Markdown entry per rotation since the date; with --html, one self-contained page with the keyring's timeline, share chart and journal (for a post-incident write-up)",
  examples: [
    "keyward journal --since 2026-01-01",
    "keyward journal --since 2026-01-01 --html journal.html",
  ],
  async run({ values, client, base, keyring, out }) {
    const since = calendarDate("since", values.since);
    if (values.html !== undefined)
      return writeHtml(
        values.html,
        keyringReport(
          client(),
          keyring,
          since,
          Date.now(),
          `${keyring} keyring: journal since ${since}`,
        ),
      );
    const { body } = await client().expect("GET", `${base}/journal?since=${since}`);
    const journal = body as JournalResponse;
    out(journalMarkdown(journal.since, journal.rotations, keyring), body);
    return EXIT.ok;
  },
};
