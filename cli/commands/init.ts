import type { InitResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";

/** `keyward init`: a new keyring with a generated current key, for a system with no secret to migrate. */
export const init: Command = {
  positionals: [],
  options: ["keyring", "reason"],
  synopsis: "init [--keyring signing|sessions] --reason R",
  summary:
    "creates a keyring whose one generated key is current at once (a new system; to adopt an existing secret, keys import instead); refused once the keyring exists",
  examples: [
    'keyward init --reason "first deploy"',
    'keyward init --keyring sessions --reason "sessions through keyward"',
  ],
  async run({ client, keyring, out, reason }) {
    const { body } = await client().expect("POST", `/v1/keyrings/${keyring}/init`, {
      reason: reason(),
    });
    const value = body as InitResponse;
    out(`the ${value.keyring} keyring exists: key ${value.kid} is current`, body);
    return EXIT.ok;
  },
};
