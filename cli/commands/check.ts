import type { CheckResponse } from "../../functions/ops-api/wire.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { checkText } from "../output/text.ts";

/** `keyward check`: whether a token, subject or key is revoked, and by which rule. */
export const check: Command = {
  positionals: [],
  options: ["token", "jti", "iss", "sub", "kid"],
  synopsis: "check (--token JWT | --jti J [--iss I] | --sub S | --kid KID)",
  summary: "whether a token, subject or key is revoked, and by which rule",
  examples: ["keyward check --sub alice", 'keyward check --token "$JWT" --json'],
  async run({ values, client, out }) {
    const given = (["token", "jti", "sub", "kid"] as const).filter((n) => values[n] !== undefined);
    if (given.length !== 1)
      throw new CliError(EXIT.usage, "give exactly one of --token, --jti, --sub, --kid");
    if (values.iss !== undefined && values.jti === undefined)
      throw new CliError(EXIT.usage, "--iss goes with --jti");
    const query = new URLSearchParams();
    for (const name of ["token", "jti", "iss", "sub", "kid"] as const) {
      const value = values[name];
      if (value) query.set(name, value);
    }
    const { body } = await client().expect("GET", `/v1/revocations/check?${query}`);
    out(checkText(body as CheckResponse), body);
    return EXIT.ok;
  },
};
