import type { KeysResponse, VerifiersResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { statusText } from "../output/text.ts";
import { pendingReachText } from "../output/verifiers.ts";

/** `keyward status`: a keyring's keys, shares and next steps (`GET …/keys`). */
export const status: Command = {
  positionals: [],
  options: ["keyring"],
  synopsis: "status [--keyring signing|sessions]",
  summary:
    "a keyring's keys, their status, share of verifications (or opened sessions) and next transition",
  examples: ["keyward status", "keyward status --keyring sessions --json"],
  async run({ client, base, keyring, out }) {
    const api = client();
    const { body } = await api.expect("GET", `${base}/keys`);
    const counted = keyring === "sessions" ? "opened sessions" : "verifications";
    let text = statusText(body as KeysResponse, counted);
    // A pending key's reach, where the deployment keeps receipts; the keys alone otherwise.
    if ((body as KeysResponse).keys.some((k) => k.status === "pending")) {
      const verifiers = await api.call("GET", "/v1/verifiers");
      const reach =
        verifiers.status === 200
          ? (verifiers.body as VerifiersResponse).pending.find((p) => p.keyring === keyring)
          : undefined;
      if (reach !== undefined) text += `\n${pendingReachText(reach)}`;
    }
    out(text, body);
    return EXIT.ok;
  },
};
