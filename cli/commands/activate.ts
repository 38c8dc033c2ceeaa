import type { ForcedActivationResponse } from "../../functions/ops-api/wire.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";
import { oneLine } from "../output/terminal-text.ts";

const USAGE = "usage: keyward activate KID --force --reason R";

/**
 * `keyward activate KID --force`: a pending key whose first signing waits for evidence (some live
 * verifier has not said it holds it) signs now (asks). Without `--force` there is nothing to do:
 * the rotation function activates the key once every live verifier holds it.
 */
export const activate: Command = {
  positionals: ["KID"],
  options: ["force", "reason", "keyring"],
  synopsis: "activate KID --force [--keyring signing|sessions] --reason R",
  summary: "a pending key waiting for every live verifier to hold it signs now (asks)",
  examples: [
    'keyward activate U85YJs6h8gimsMXWnt8kUA --force --reason "eu-west-1 authorizers decommissioned"',
  ],
  async run({ values, positionals, client, base, out, reason }) {
    const kid = positionals[0];
    if (kid === undefined) throw new CliError(EXIT.usage, USAGE);
    if (values.force !== true)
      throw new CliError(
        EXIT.usage,
        `${USAGE}\nA pending key signs by itself once every live verifier holds it (keyward verifiers); --force goes ahead without that evidence.`,
      );
    const why = reason();
    await confirm(
      values,
      `Activate ${kid} now: verifiers that do not hold it yet load it at their next keyring refresh, or at the first token that names it.`,
    );
    const { body } = await client().expect(
      "POST",
      `${base}/keys/${encodeURIComponent(kid)}/activate`,
      { force: true, reason: why },
    );
    const done = body as ForcedActivationResponse;
    const what = done.step === "activate" ? "is current" : "signs for its first cohort";
    const without =
      done.laggards.length === 0
        ? "every live verifier held it"
        : `without ${done.laggards.length} live verifier(s) that did not hold it:\n  ${done.laggards.map(oneLine).join("\n  ")}`;
    out(`${kid} ${what}, ${without}`, body);
    return EXIT.ok;
  },
};
