import type { RollbackResponse } from "../../functions/ops-api/wire.ts";
import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";

/** `keyward rollback`: the previous key signs again (asks). */
export const rollback: Command = {
  positionals: [],
  options: ["reason", "keyring"],
  synopsis: "rollback [--keyring signing|sessions] --reason R",
  summary: "the previous key becomes current again (asks)",
  examples: ['keyward rollback --reason "new key breaks the mobile app"'],
  async run({ values, client, base, out, reason }) {
    const why = reason();
    await confirm(values, "Rollback: the previous key becomes current again.");
    const { body } = await client().expect("POST", `${base}/keys/rollback`, { reason: why });
    out(`current key is now ${(body as RollbackResponse).current}`, body);
    return EXIT.ok;
  },
};
