#!/usr/bin/env node
/**
 * `keyward`: the ops API for people. Human output by default, `--json` for scripts; exit codes in
 * client.ts (EXIT). Commands that log people out or change the signing key ask for confirmation
 * unless `--yes`, and refuse without it when there is no terminal to ask on. One command per file
 * in commands/, their output in output/.
 */
import { type Invocation, parseInvocation, suggestion } from "./arguments.ts";
import { CliError, EXIT, EXIT_NAMES } from "./client.ts";
import { commandContext } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { commandHelp, usage } from "./output/help.ts";
import { terminalSafe } from "./output/terminal-text.ts";
import { VERSION } from "./version.ts";

async function main({ command, positionals, values }: Invocation): Promise<number> {
  if (values.version) {
    console.log(values.json ? JSON.stringify({ version: VERSION }) : `keyward ${VERSION}`);
    return EXIT.ok;
  }
  if (command === undefined && !values.help) {
    console.error(usage(COMMANDS));
    return EXIT.usage;
  }
  const name = command === "help" ? (positionals[0] ?? "help") : command;
  if (name !== undefined && COMMANDS[name] === undefined) {
    const hint = suggestion(name, Object.keys(COMMANDS));
    throw new CliError(
      EXIT.usage,
      `unknown command "${name}"${hint ? `: did you mean "${hint}"?` : ""}`,
    );
  }
  if (command === undefined || values.help) {
    const spec = name === undefined ? undefined : COMMANDS[name];
    console.log(spec === undefined ? usage(COMMANDS) : commandHelp(spec));
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined) throw new CliError(EXIT.usage, `unknown command "${command}"`);
  return run.run(commandContext(values, positionals, COMMANDS));
}

/** Errors go to stderr, or with --json as `{"error": {code, message}}` on stdout; the exit code is the same. */
function fail(json: boolean, exitCode: number, code: string, message: string): never {
  if (json) console.log(JSON.stringify({ error: { code, message } }, null, 2));
  else console.error(terminalSafe(message));
  process.exit(exitCode);
}

const argv = process.argv.slice(2);
const json = argv.includes("--json");
let invocation: Invocation;
try {
  invocation = parseInvocation(argv, COMMANDS);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  fail(json, error.exitCode, "usage", error.message);
}
main(invocation).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError)
      fail(
        json,
        error.exitCode,
        error.code ?? EXIT_NAMES[error.exitCode] ?? "error",
        error.message,
      );
    fail(json, EXIT.unavailable, "unexpected", `unexpected error: ${(error as Error).name}`);
  },
);
