import type { RotateResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";
import { oneLine } from "../output/terminal-text.ts";

/** `keyward rotate`: a graceful rotation, or with `--immediate` an emergency (asks). */
export const rotate: Command = {
  positionals: [],
  options: ["immediate", "reason", "keyring"],
  synopsis: "rotate [--immediate] [--keyring signing|sessions] --reason R",
  summary:
    "graceful rotation (new key pending, signs or seals after pre-publication) or, with --immediate, an emergency: every key so far is compromised and everyone logs in again (asks)",
  examples: [
    'keyward rotate --reason "quarterly rotation"',
    'keyward rotate --immediate --reason "JWT_SECRET committed to a public repo" --yes',
    'keyward rotate --immediate --keyring sessions --reason "SESSION_ENCRYPTION_KEY in a log" --yes',
  ],
  async run({ values, client, base, keyring, out, reason }) {
    const mode = values.immediate ? "immediate" : "graceful";
    const sessions = keyring === "sessions";
    const why = reason();
    await confirm(
      values,
      mode === "immediate"
        ? sessions
          ? "Immediate rotation of the sessions keyring: every session sealed so far stops opening and everyone must log in again."
          : "Immediate rotation: every token issued so far stops working and everyone must log in again."
        : `Graceful rotation: a new key is published now and starts ${sessions ? "sealing" : "signing"} after pre-publication.`,
    );
    const { body } = await client().expect("POST", `${base}/keys/rotate`, { mode, reason: why });
    const value = body as RotateResponse;
    const reach = value.enforcement === undefined ? "" : `\n${oneLine(value.enforcement)}`;
    out(
      `${mode} rotation: new key ${value.kid}, ${sessions ? "sealing" : "signing"} from ${value.activatesAt}${reach}`,
      body,
    );
    return EXIT.ok;
  },
};
