import type { FamiliesResponse } from "../../functions/ops-api/wire.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command, CommandContext } from "../command.ts";
import { familiesText } from "../output/text.ts";

async function listFamilies({ values, client, out }: CommandContext): Promise<number> {
  if (values.sub === undefined) throw new CliError(EXIT.usage, "families needs --sub S");
  const { body } = await client().expect(
    "GET",
    `/v1/families?${new URLSearchParams({ sub: values.sub })}`,
  );
  out(familiesText(body as FamiliesResponse), body);
  return EXIT.ok;
}

/** `keyward families --sub S`: a subject's live refresh-token families (`GET /v1/families`). */
export const families: Command = {
  positionals: [],
  options: ["sub"],
  synopsis: "families --sub S",
  summary:
    "a subject's live refresh-token families: id, created, last used, expiry, client, user agent",
  examples: ["keyward families --sub alice", "keyward revoke --family FAMILY_ID --reason lost"],
  run: listFamilies,
};

/** `keyward sessions`: the former name of `families`, kept until the next minor version. */
export const sessions: Command = {
  ...families,
  synopsis: "sessions --sub S",
  examples: ["keyward families --sub alice"],
  deprecated:
    "deprecated: the former name of `keyward families` (refresh-token families, not the sessions keyring); it goes in the next minor version",
  async run(context) {
    process.stderr.write("keyward sessions is deprecated: use keyward families\n");
    return listFamilies(context);
  },
};
