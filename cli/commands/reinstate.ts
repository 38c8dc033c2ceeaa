import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";

/** `keyward reinstate KID`: a retired, uncompromised key verifies again (asks). */
export const reinstate: Command = {
  positionals: ["KID"],
  options: ["reason", "keyring"],
  synopsis: "reinstate KID [--keyring signing|sessions] --reason R",
  summary: "a retired, uncompromised key verifies again as previous (asks)",
  examples: ['keyward reinstate U85YJs6h8gimsMXWnt8kUA --reason "retired too early"'],
  async run({ values, positionals, client, base, keyring, out, reason }) {
    const kid = positionals[0];
    if (kid === undefined)
      throw new CliError(EXIT.usage, "usage: keyward reinstate KID --reason R");
    const why = reason();
    await confirm(
      values,
      `Reinstate ${kid}: ${keyring === "sessions" ? "sessions it sealed open" : "tokens it signed verify"} again.`,
    );
    const { body } = await client().expect(
      "POST",
      `${base}/keys/${encodeURIComponent(kid)}/reinstate`,
      { reason: why },
    );
    out(`${kid} is previous again (verifies; roll back to make it sign)`, body);
    return EXIT.ok;
  },
};
