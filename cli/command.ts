import { isKeyringName, KEYRING_NAMES, type KeyringName } from "../shared/keyring/names.ts";
import type { Flags } from "./arguments.ts";
import { CliError, EXIT, OpsClient } from "./client.ts";
import { oneLine, terminalSafe } from "./output/terminal-text.ts";

/** What a command takes and what it does: for parsing (arguments.ts) and for `keyward help`. */
export interface CommandSpec {
  /** Arguments after the command, e.g. `FILE`; `[X]` is optional. */
  readonly positionals: readonly string[];
  /** The options of this command (the global ones are always accepted). */
  readonly options: readonly string[];
  readonly synopsis: string;
  readonly summary: string;
  readonly examples: readonly string[];
  /** The name it replaces or is replaced by, said in its help. */
  readonly deprecated?: string;
}

/** One `keyward` command: its spec and what it runs, answering with an exit code. */
export interface Command extends CommandSpec {
  run(context: CommandContext): Promise<number>;
}

/** What every command is given: its arguments, the ops API, and how to answer. */
export interface CommandContext {
  readonly values: Flags;
  readonly positionals: readonly string[];
  /** Every command, for `help`. */
  readonly commands: Readonly<Record<string, CommandSpec>>;
  /** `--keyring`, default signing; and its routes' base (`/v1/keyrings/<name>`). */
  readonly keyring: KeyringName;
  readonly base: string;
  client(): OpsClient;
  /** The human text, or with `--json` the API's answer as it came. */
  out(human: string, json: unknown): void;
  /** `--reason`, required: it goes into the audit journal. */
  reason(): string;
}

export function commandContext(
  values: Flags,
  positionals: readonly string[],
  commands: Readonly<Record<string, CommandSpec>>,
): CommandContext {
  const keyring = keyringOf(values);
  return {
    values,
    positionals,
    commands,
    keyring,
    base: `/v1/keyrings/${keyring}`,
    client: () => OpsClient.fromEnvironment(values),
    out: (human, json) =>
      console.log(values.json ? JSON.stringify(json, null, 2) : terminalSafe(human)),
    reason: () => {
      if (values.reason === undefined || values.reason.trim() === "")
        throw new CliError(EXIT.usage, "--reason is required: it goes into the audit journal");
      return values.reason;
    },
  };
}

/** `--keyring NAME`, default the signing keyring; anything else is a usage error naming them. */
function keyringOf(values: Flags): KeyringName {
  const name = values.keyring ?? "signing";
  if (!isKeyringName(name))
    throw new CliError(
      EXIT.usage,
      `--keyring takes ${KEYRING_NAMES.join(" or ")}, got "${oneLine(name.slice(0, 40))}"`,
    );
  return name;
}
