import type { RevokeResponse } from "../../functions/ops-api/wire.ts";
import type { Flags } from "../arguments.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";

/** `keyward revoke`: one revocation rule (`POST /v1/revocations`); `--all` asks. */
export const revoke: Command = {
  positionals: [],
  options: ["token", "jti", "exp", "iss", "sub", "claim", "all", "kid", "family", "reason"],
  synopsis:
    "revoke (--token JWT | --jti J --exp S [--iss I] | --sub S | --claim NAME=VALUE | --kid KID | --family F | --all) --reason R",
  summary:
    "one revocation: a token, every token of a subject or a claim value issued so far, every token of a key, a refresh-token family and its access tokens, or every token (--all asks)",
  examples: [
    'keyward revoke --sub alice --reason "password changed"',
    'keyward revoke --token "$JWT" --reason "token pasted in a ticket"',
    'keyward revoke --claim role=admin --reason "admin access withdrawn"',
  ],
  async run({ values, client, out, reason }) {
    const item = revocationItem(values);
    const why = reason();
    if (item.all === true)
      await confirm(
        values,
        "Revoke all: every token issued so far stops working (forced logout of everyone).",
      );
    const { body } = await client().expect("POST", "/v1/revocations", { ...item, reason: why });
    const value = body as RevokeResponse;
    out(value.revoked ? `revoked (${value.rule})` : `nothing to revoke: ${value.message}`, body);
    return EXIT.ok;
  },
};

/** The request body of the one rule the flags name. */
function revocationItem(values: Flags): Record<string, unknown> {
  const given = (["token", "jti", "sub", "claim", "all", "kid", "family"] as const).filter(
    (name) => values[name] !== undefined,
  );
  if (given.length !== 1)
    throw new CliError(
      EXIT.usage,
      "give exactly one of --token, --jti, --sub, --claim, --all, --kid, --family",
    );
  if (values.token) return { token: values.token };
  if (values.family) return { family: values.family };
  if (values.sub) return { sub: values.sub };
  if (values.kid) return { kid: values.kid };
  if (values.all) return { all: true };
  if (values.claim) {
    const eq = values.claim.indexOf("=");
    if (eq < 1) throw new CliError(EXIT.usage, "--claim takes NAME=VALUE, e.g. role=admin");
    return { claim: values.claim.slice(0, eq), value: values.claim.slice(eq + 1) };
  }
  const exp = Number(values.exp);
  if (!Number.isInteger(exp))
    throw new CliError(
      EXIT.usage,
      "--jti needs --exp (the token's expiry, seconds since the epoch)",
    );
  return { jti: values.jti, exp, ...(values.iss ? { iss: values.iss } : {}) };
}
