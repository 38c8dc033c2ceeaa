import type { CommandSpec } from "../command.ts";

const GLOBAL_HELP = `options (every command):
  --url URL          the ops API (or KEYWARD_URL; default the local stack's, from .keyward/url)
  --credential CRED  the operator credential (or KEYWARD_OPS_TOKEN; the local stack's is read from .keyward/ops-token)
  --json             machine-readable output, errors included (on stdout)
  --yes, -y          do not ask for confirmation
  --help, -h         help;  --version  the version

exit codes: 0 ok, 1 usage, 2 refused by the API (simulate: the policy refused valid tokens),
            3 service unavailable, 4 unreachable, 5 not confirmed`;

/** Every command in one line each, with the global options. */
export function usage(commands: Readonly<Record<string, CommandSpec>>): string {
  const width = 24;
  const lines = Object.entries(commands)
    .filter(([, spec]) => spec.deprecated === undefined)
    .map(([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`);
  return `usage: keyward <command> [options]   (keyward help <command> for its options)\n\ncommands:\n${lines.join("\n")}\n\n${GLOBAL_HELP}`;
}

/** One command's synopsis, summary and examples. */
export function commandHelp(spec: CommandSpec): string {
  const deprecated = spec.deprecated === undefined ? "" : `\n\n${spec.deprecated}`;
  return `usage: keyward ${spec.synopsis}\n\n${spec.summary}${deprecated}\n\nexamples:\n${spec.examples.map((e) => `  ${e}`).join("\n")}\n\n${GLOBAL_HELP}`;
}
