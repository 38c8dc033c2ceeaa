import type { KeysResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { statusText } from "../output/text.ts";

/** `keyward status`: a keyring's keys, shares and next steps (`GET …/keys`). */
export const status: Command = {
  positionals: [],
  options: ["keyring"],
  synopsis: "status [--keyring signing|sessions]",
  summary:
    "a keyring's keys, their status, share of verifications (or opened sessions) and next transition",
  examples: ["keyward status", "keyward status --keyring sessions --json"],
  async run({ client, base, keyring, out }) {
    const { body } = await client().expect("GET", `${base}/keys`);
    const counted = keyring === "sessions" ? "opened sessions" : "verifications";
    out(statusText(body as KeysResponse, counted), body);
    return EXIT.ok;
  },
};
