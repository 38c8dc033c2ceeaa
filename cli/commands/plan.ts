import { keyringReport } from "../../console/report.ts";
import type { ImpactResponse, PlanResponse } from "../../functions/ops-api/wire.ts";
import { DAY } from "../../shared/kernel/clock.ts";
import { KID_PATTERN } from "../../shared/keyring/key.ts";
import { wholeNumber } from "../arguments.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { writeHtml } from "../html-report.ts";
import { impactText } from "../output/impact.ts";
import { planText } from "../output/text.ts";

/** `keyward plan`: what the policy will do in the next days, and who a retirement would refuse. */
export const plan: Command = {
  positionals: [],
  options: ["days", "keyring", "impact", "kid", "html"],
  synopsis: "plan [--days N] [--impact [--kid KID]] [--html FILE] [--keyring signing|sessions]",
  summary:
    "the transitions the policy will make in the next N days (1 to 3650, default 365); with --impact, for each key it retires (or --kid), who would be refused if that key retired now: the last day's verifications of its tokens by consumer (azp, client_id or aud) and verifier kind",
  examples: [
    "keyward plan --days 30",
    "keyward plan --impact",
    "keyward plan --impact --kid K1",
    "keyward plan --html plan.html",
  ],
  async run({ values, client, base, out, keyring }) {
    const days = wholeNumber("days", values.days, 1, 3650) ?? 365;
    if (values.kid !== undefined && values.impact !== true)
      throw new CliError(EXIT.usage, "--kid goes with --impact");
    if (values.kid !== undefined && !KID_PATTERN.test(values.kid))
      throw new CliError(EXIT.usage, "--kid takes a key id as keyward status lists them");
    if (values.html !== undefined)
      return writeHtml(
        values.html,
        keyringReport(client(), keyring, sinceAYearAgo(), Date.now(), `${keyring} keyring: plan`),
      );
    const { body } = await client().expect("GET", `${base}/plan?days=${days}`);
    const planned = body as PlanResponse;
    if (values.impact !== true) {
      out(planText(planned), planned);
      return EXIT.ok;
    }
    const kids =
      values.kid === undefined
        ? [
            ...new Set(
              planned.transitions.flatMap((t) =>
                t.action === "retire" && t.kid !== undefined ? [t.kid] : [],
              ),
            ),
          ]
        : [values.kid];
    const impacts: ImpactResponse[] = [];
    for (const kid of kids)
      impacts.push(
        (await client().expect("GET", `${base}/keys/${encodeURIComponent(kid)}/impact`))
          .body as ImpactResponse,
      );
    const text = [
      planText(planned),
      "",
      ...(impacts.length === 0
        ? [`no key retires in the next ${days} days`]
        : impacts.map(impactText)),
    ].join("\n");
    out(text, { ...planned, impact: impacts });
    return EXIT.ok;
  },
};

/** The journal a plan's report shows: the last year's rotations. */
const sinceAYearAgo = () => new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10);
