import { parseArgs } from "node:util";
import { CliError, EXIT } from "./client.ts";
import type { CommandSpec } from "./command.ts";
import { GLOBAL_OPTIONS, VALUE_OPTIONS } from "./options.ts";

export interface Flags {
  url?: string;
  credential?: string;
  json?: boolean;
  yes?: boolean;
  help?: boolean;
  version?: boolean;
  reason?: string;
  immediate?: boolean;
  force?: boolean;
  impact?: boolean;
  port?: string;
  html?: string;
  "no-open"?: boolean;
  token?: string;
  jti?: string;
  exp?: string;
  iss?: string;
  sub?: string;
  claim?: string;
  all?: boolean;
  kid?: string;
  family?: string;
  limit?: string;
  before?: string;
  days?: string;
  since?: string;
  users?: string;
  "emergency-day"?: string;
  "rollback-day"?: string;
  "cold-hours"?: string;
  "cut-off-day"?: string;
  "migrate-from"?: string;
  "from-env"?: string;
  "token-lifetime"?: string;
  "sample-from-env"?: string;
  encoding?: string;
  keyring?: string;
  "session-lifetime"?: string;
}

export interface Invocation {
  /** Undefined when only global options were given (`keyward --version`). */
  readonly command: string | undefined;
  readonly positionals: readonly string[];
  readonly values: Flags;
}

/**
 * Parses a command line against the command table: unknown commands and options are refused
 * with a suggestion, options of another command and extra arguments are refused, all before any
 * request is made.
 */
export function parseInvocation(
  argv: readonly string[],
  commands: Readonly<Record<string, CommandSpec>>,
): Invocation {
  const allOptions = [
    ...new Set([...GLOBAL_OPTIONS, ...Object.values(commands).flatMap((c) => c.options)]),
  ];
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: bindDashValues(argv, allOptions),
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        allOptions.map((name) => [
          name,
          {
            type: VALUE_OPTIONS.has(name) ? ("string" as const) : ("boolean" as const),
            ...(name === "yes" ? { short: "y" } : name === "help" ? { short: "h" } : {}),
          },
        ]),
      ),
    }) as unknown as { values: Flags; positionals: string[] };
  } catch (error) {
    throw usageError(error as Error & { code?: string }, allOptions);
  }
  const [command, ...positionals] = parsed.positionals;
  const values = parsed.values;
  if (command === undefined) return { command, positionals, values };
  const spec = commands[command];
  if (spec === undefined) {
    const hint = suggestion(command, Object.keys(commands));
    throw new CliError(
      EXIT.usage,
      `unknown command "${command}"${hint ? `: did you mean "${hint}"?` : ""} (keyward help lists them)`,
    );
  }
  if (values.help) return { command, positionals, values };
  for (const name of Object.keys(values)) {
    if ((GLOBAL_OPTIONS as readonly string[]).includes(name) || spec.options.includes(name))
      continue;
    if (name === "token")
      throw new CliError(
        EXIT.usage,
        "--token is the token to revoke or check; the operator credential is --credential (or KEYWARD_OPS_TOKEN)",
      );
    throw new CliError(
      EXIT.usage,
      `${command} does not take --${name} (keyward help ${command} lists its options)`,
    );
  }
  const required = spec.positionals.filter((p) => !p.startsWith("[")).length;
  if (positionals.length > spec.positionals.length) {
    throw new CliError(
      EXIT.usage,
      `unexpected argument "${positionals[spec.positionals.length]}": usage: keyward ${spec.synopsis}`,
    );
  }
  if (positionals.length < required)
    throw new CliError(EXIT.usage, `usage: keyward ${spec.synopsis}`);
  return { command, positionals, values };
}

/**
 * A credential or secret is base64url and may begin with "-"; Node's parseArgs calls
 * `--credential -x…` ambiguous. A value option followed by anything but another option of ours
 * takes it as its value, so `--credential --reason r` still reads as a missing value.
 */
function bindDashValues(argv: readonly string[], allOptions: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (
      name !== undefined &&
      VALUE_OPTIONS.has(name) &&
      next?.startsWith("-") &&
      !isOurOption(next, allOptions)
    ) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

function isOurOption(arg: string, allOptions: readonly string[]): boolean {
  if (arg === "-y" || arg === "-h" || arg === "--") return true;
  const name = /^--([^=]+)/.exec(arg)?.[1];
  return name !== undefined && allOptions.includes(name);
}

/** Node's parseArgs wording ("place it at the end of the command after '--'") is not for people. */
function usageError(error: Error & { code?: string }, allOptions: readonly string[]): Error {
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const given = /'(-{1,2}[^']*)'/.exec(error.message)?.[1] ?? "";
    const name = given.replace(/^-+/, "").split("=")[0] ?? "";
    const hint = suggestion(name, allOptions);
    return new CliError(
      EXIT.usage,
      `unknown option ${given}${hint ? `: did you mean --${hint}?` : ""} (keyward help lists them)`,
    );
  }
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /--([a-z-]+)/.exec(error.message)?.[1];
    return new CliError(
      EXIT.usage,
      name !== undefined && VALUE_OPTIONS.has(name)
        ? `--${name} needs a value`
        : `--${name ?? "?"} takes no value`,
    );
  }
  if (error.code?.startsWith("ERR_PARSE_ARGS"))
    return new CliError(
      EXIT.usage,
      `${error.message.split(". ")[0]} (keyward help lists the commands and options)`,
    );
  return error;
}

/** The closest name within two edits (or a prefix), for "did you mean". */
export function suggestion(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const distance = name.startsWith(given) && given.length >= 2 ? 1 : editDistance(given, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] as number;
}

/** A whole number flag within bounds, checked before any request. */
export function wholeNumber(
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new CliError(EXIT.usage, `--${flag} takes a whole number from ${min} to ${max}`);
  return value;
}

/** A calendar date YYYY-MM-DD (UTC). */
export function calendarDate(flag: string, raw: string | undefined): string {
  const example = `e.g. --${flag} ${new Date().toISOString().slice(0, 10)}`;
  if (raw === undefined) throw new CliError(EXIT.usage, `--${flag} DATE is required, ${example}`);
  const date = new Date(`${raw}T00:00:00Z`);
  const valid =
    /^\d{4}-\d{2}-\d{2}$/.test(raw) &&
    !Number.isNaN(date.getTime()) &&
    date.toISOString().slice(0, 10) === raw;
  if (!valid) throw new CliError(EXIT.usage, `--${flag} takes a date YYYY-MM-DD, ${example}`);
  return raw;
}
