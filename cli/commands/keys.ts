import type { ImportResponse } from "../../functions/ops-api/wire.ts";
import { sessionKeyFromEnv } from "../../shared/sealing/import.ts";
import { wholeNumber } from "../arguments.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command, CommandContext } from "../command.ts";
import { confirm } from "../confirm.ts";

/**
 * `keyward keys import`: migrate an existing secret, read from an environment variable (never from
 * the command line, which shell history keeps), as the current key (asks).
 */
export const keys: Command = {
  positionals: ["import"],
  options: [
    "from-env",
    "encoding",
    "token-lifetime",
    "sample-from-env",
    "session-lifetime",
    "reason",
    "keyring",
  ],
  synopsis:
    "keys import --from-env NAME (--token-lifetime SECONDS | --sample-from-env NAME) [--encoding utf8|base64|hex] --reason R\n       keyward keys import --keyring sessions --from-env NAME [--session-lifetime SECONDS] --reason R",
  summary:
    "migrate an existing secret (read from the environment variable NAME) as the current key: a JWT secret (verify-only if under 32 bytes; the legacy tokens' lifetime given or read from a sample token), or with --keyring sessions a SESSION_ENCRYPTION_KEY (32 bytes of base64; legacy sessions live at most --session-lifetime, default the maximum) (asks)",
  examples: [
    'keyward keys import --from-env JWT_SECRET --token-lifetime 3600 --reason "adopt keyward"',
    'keyward keys import --from-env JWT_SECRET --sample-from-env SAMPLE_JWT --reason "adopt keyward"',
    'keyward keys import --keyring sessions --from-env SESSION_ENCRYPTION_KEY --reason "adopt keyward" --yes',
  ],
  async run(context) {
    const { positionals, keyring, commands } = context;
    if (positionals[0] !== "import")
      throw new CliError(
        EXIT.usage,
        `unknown keys command "${positionals[0]}": usage: keyward ${commands.keys?.synopsis}`,
      );
    return keyring === "sessions" ? importSessionKey(context) : importSigningSecret(context);
  },
};

/** A JWT secret: verify-only if under 32 bytes; its tokens' lifetime given or read from a sample. */
async function importSigningSecret({ values, client, base, out, reason }: CommandContext) {
  if (values["session-lifetime"] !== undefined)
    throw new CliError(EXIT.usage, "--session-lifetime goes with --keyring sessions");
  const encoding = values.encoding ?? "utf8";
  if (!["utf8", "base64", "hex"].includes(encoding))
    throw new CliError(EXIT.usage, "--encoding takes utf8, base64 or hex");
  const name = values["from-env"];
  if (name === undefined)
    throw new CliError(
      EXIT.usage,
      "--from-env NAME is required: the environment variable holding the secret",
    );
  const secret = process.env[name];
  if (secret === undefined || secret === "")
    throw new CliError(EXIT.usage, `environment variable ${name} is not set`);
  const sampleName = values["sample-from-env"];
  if ((values["token-lifetime"] === undefined) === (sampleName === undefined))
    throw new CliError(
      EXIT.usage,
      "give how long the legacy system's tokens live: --token-lifetime SECONDS, or --sample-from-env NAME (a variable holding one of its tokens)",
    );
  const lifetime = wholeNumber("token-lifetime", values["token-lifetime"], 1, 31_622_400);
  const sample = sampleName === undefined ? undefined : process.env[sampleName];
  if (sampleName !== undefined && (sample === undefined || sample === ""))
    throw new CliError(EXIT.usage, `environment variable ${sampleName} is not set`);
  const why = reason();
  await confirm(values, `Import ${name} as a signing key (verify-only if under 32 bytes).`);
  const { body } = await client().expect("POST", `${base}/keys/import`, {
    secret,
    encoding,
    reason: why,
    ...(lifetime === undefined ? {} : { tokenLifetimeSeconds: lifetime }),
    ...(sample === undefined ? {} : { sampleToken: sample }),
  });
  const imported = body as ImportResponse;
  out(
    `imported as key ${imported.kid} (${imported.status})${imported.warning ? `\nwarning: ${imported.warning}` : ""}`,
    body,
  );
  return EXIT.ok;
}

/**
 * The runbook's SESSION_ENCRYPTION_KEY becomes the sessions keyring's current key, refused with
 * the runbook's own messages when absent or not 32 bytes of base64. Legacy sessions live at most
 * `--session-lifetime` (default: the maximum).
 */
async function importSessionKey({ values, client, out, reason }: CommandContext) {
  for (const option of ["encoding", "token-lifetime", "sample-from-env"] as const)
    if (values[option] !== undefined)
      throw new CliError(
        EXIT.usage,
        `--${option} is for JWT secrets; a session key is 32 bytes of base64 (--session-lifetime says how long its sessions live)`,
      );
  const name = values["from-env"];
  if (name === undefined)
    throw new CliError(
      EXIT.usage,
      "--from-env NAME is required: the environment variable holding the key (SESSION_ENCRYPTION_KEY)",
    );
  const read = sessionKeyFromEnv(process.env[name], name);
  if (!read.ok) throw new CliError(EXIT.usage, read.message);
  const lifetime = wholeNumber("session-lifetime", values["session-lifetime"], 1, 31_622_400);
  const why = reason();
  await confirm(
    values,
    `Import ${name} as the sessions keyring's current key: sessions it sealed keep opening, new ones are sealed with it until the next rotation.`,
  );
  const { body } = await client().expect("POST", "/v1/keyrings/sessions/keys/import", {
    secret: read.secret,
    reason: why,
    ...(lifetime === undefined ? {} : { sessionLifetimeSeconds: lifetime }),
  });
  const imported = body as ImportResponse;
  out(`imported as key ${imported.kid} (${imported.status}) of the sessions keyring`, body);
  return EXIT.ok;
}
