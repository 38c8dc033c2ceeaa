import { EXIT } from "../client.ts";
import type { Command } from "../command.ts";
import { commandHelp, usage } from "../output/help.ts";

/** `keyward help [COMMAND]`. */
export const help: Command = {
  positionals: ["[COMMAND]"],
  options: [],
  synopsis: "help [COMMAND]",
  summary: "this text, or one command's options and examples",
  examples: ["keyward help revoke"],
  async run({ positionals, commands }) {
    const topic = positionals[0];
    const spec = topic === undefined ? undefined : commands[topic];
    console.log(spec === undefined ? usage(commands) : commandHelp(spec));
    return EXIT.ok;
  },
};
