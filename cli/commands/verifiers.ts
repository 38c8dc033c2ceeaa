import type { VerifiersResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { verifiersText } from "../output/verifiers.ts";

/** `keyward verifiers`: the live verifying instances and what they hold (`GET /v1/verifiers`). */
export const verifiers: Command = {
  positionals: [],
  options: [],
  synopsis: "verifiers",
  summary:
    "the live verifiers (authorizer containers, edge isolates, sessions services, the local stack): the keys each holds, its revocation lag, and how many hold a pending key",
  examples: ["keyward verifiers", "keyward verifiers --json"],
  async run({ client, out }) {
    const { body } = await client().expect("GET", "/v1/verifiers");
    out(verifiersText(body as VerifiersResponse), body);
    return EXIT.ok;
  },
};
