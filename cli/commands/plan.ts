import type { PlanResponse } from "../../functions/ops-api/wire.ts";
import { wholeNumber } from "../arguments.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { planText } from "../output/text.ts";

/** `keyward plan`: what the policy will do in the next days. */
export const plan: Command = {
  positionals: [],
  options: ["days", "keyring"],
  synopsis: "plan [--days N] [--keyring signing|sessions]",
  summary: "the transitions the policy will make in the next N days (1 to 3650, default 365)",
  examples: ["keyward plan --days 30"],
  async run({ values, client, base, out }) {
    const days = wholeNumber("days", values.days, 1, 3650) ?? 365;
    const { body } = await client().expect("GET", `${base}/plan?days=${days}`);
    out(planText(body as PlanResponse), body);
    return EXIT.ok;
  },
};
