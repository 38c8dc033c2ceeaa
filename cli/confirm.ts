import { createInterface } from "node:readline/promises";
import type { Flags } from "./arguments.ts";
import { CliError, EXIT } from "./client.ts";

/**
 * Asks on the terminal before a command that logs people out or changes a signing key; without a
 * terminal only `--yes` goes ahead.
 */
export async function confirm(values: Flags, what: string): Promise<void> {
  if (values.yes) return;
  if (!process.stdin.isTTY)
    throw new CliError(
      EXIT.notConfirmed,
      `${what}\nNo terminal to confirm on: pass --yes to go ahead.`,
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${what}\nType yes to go ahead: `);
  rl.close();
  if (answer.trim().toLowerCase() !== "yes")
    throw new CliError(EXIT.notConfirmed, "not confirmed; nothing was done");
}
