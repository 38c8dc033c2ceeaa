/**
 * Every `keyward` command: what it takes and what it does, for parsing (cli/arguments.ts) and for
 * `keyward help`. One table, so the help cannot drift from what the parser accepts.
 */
export interface CommandSpec {
  /** Arguments after the command, e.g. `FILE`; `[X]` is optional. */
  readonly positionals: readonly string[];
  /** The options of this command (the global ones are always accepted). */
  readonly options: readonly string[];
  readonly synopsis: string;
  readonly summary: string;
  readonly examples: readonly string[];
}

export const GLOBAL_OPTIONS = ["url", "credential", "json", "yes", "help", "version"] as const;

/** Options that take a value; the others are switches. */
export const VALUE_OPTIONS = new Set([
  "url",
  "keyring",
  "token-lifetime",
  "sample-from-env",
  "credential",
  "reason",
  "token",
  "jti",
  "exp",
  "iss",
  "sub",
  "claim",
  "kid",
  "limit",
  "before",
  "days",
  "since",
  "users",
  "emergency-day",
  "rollback-day",
  "from-env",
  "encoding",
  "family",
  "session-lifetime",
]);

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  status: {
    positionals: [],
    options: ["keyring"],
    synopsis: "status [--keyring signing|sessions]",
    summary:
      "a keyring's keys, their status, share of verifications (or opened sessions) and next transition",
    examples: ["keyward status", "keyward status --keyring sessions --json"],
  },
  rotate: {
    positionals: [],
    options: ["immediate", "reason", "keyring"],
    synopsis: "rotate [--immediate] [--keyring signing|sessions] --reason R",
    summary:
      "graceful rotation (new key pending, signs or seals after pre-publication) or, with --immediate, an emergency: every key so far is compromised and everyone logs in again (asks)",
    examples: [
      'keyward rotate --reason "quarterly rotation"',
      'keyward rotate --immediate --reason "JWT_SECRET committed to a public repo" --yes',
      'keyward rotate --immediate --keyring sessions --reason "SESSION_ENCRYPTION_KEY in a log" --yes',
    ],
  },
  rollback: {
    positionals: [],
    options: ["reason", "keyring"],
    synopsis: "rollback [--keyring signing|sessions] --reason R",
    summary: "the previous key becomes current again (asks)",
    examples: ['keyward rollback --reason "new key breaks the mobile app"'],
  },
  reinstate: {
    positionals: ["KID"],
    options: ["reason", "keyring"],
    synopsis: "reinstate KID [--keyring signing|sessions] --reason R",
    summary: "a retired, uncompromised key verifies again as previous (asks)",
    examples: ['keyward reinstate U85YJs6h8gimsMXWnt8kUA --reason "retired too early"'],
  },
  revoke: {
    positionals: [],
    options: ["token", "jti", "exp", "iss", "sub", "claim", "all", "kid", "family", "reason"],
    synopsis:
      "revoke (--token JWT | --jti J --exp S [--iss I] | --sub S | --claim NAME=VALUE | --kid KID | --family F | --all) --reason R",
    summary:
      "one revocation: a token, every token of a subject or a claim value issued so far, every token of a key, a refresh-token family and its access tokens, or every token (--all asks)",
    examples: [
      'keyward revoke --sub alice --reason "password changed"',
      'keyward revoke --token "$JWT" --reason "token pasted in a ticket"',
      'keyward revoke --claim role=admin --reason "admin access withdrawn"',
    ],
  },
  "revoke-batch": {
    positionals: ["FILE"],
    options: ["reason"],
    synopsis: "revoke-batch FILE --reason R",
    summary:
      "revocations from a file: a JSON array, or one item per line (a token, sub:X, jti:J:EXP, claim:NAME=VALUE, kid:K); resumes after an interruption",
    examples: ['keyward revoke-batch breached.txt --reason "breach 2026-11-21"'],
  },
  check: {
    positionals: [],
    options: ["token", "jti", "iss", "sub", "kid"],
    synopsis: "check (--token JWT | --jti J [--iss I] | --sub S | --kid KID)",
    summary: "whether a token, subject or key is revoked, and by which rule",
    examples: ["keyward check --sub alice", 'keyward check --token "$JWT" --json'],
  },
  sessions: {
    positionals: [],
    options: ["sub"],
    synopsis: "sessions --sub S",
    summary:
      "a subject's live refresh-token families: id, created, last used, expiry, client, user agent",
    examples: ["keyward sessions --sub alice", "keyward revoke --family FAMILY_ID --reason lost"],
  },
  audit: {
    positionals: [],
    options: ["limit", "before"],
    synopsis: "audit [--limit N] [--before SEQ]",
    summary: "the audit journal, newest first (N from 1 to 500, default 50)",
    examples: ["keyward audit --limit 5"],
  },
  keys: {
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
  },
  plan: {
    positionals: [],
    options: ["days", "keyring"],
    synopsis: "plan [--days N] [--keyring signing|sessions]",
    summary: "the transitions the policy will make in the next N days (1 to 3650, default 365)",
    examples: ["keyward plan --days 30"],
  },
  journal: {
    positionals: [],
    options: ["since", "keyring"],
    synopsis: "journal --since YYYY-MM-DD [--keyring signing|sessions]",
    summary: "one Markdown entry per rotation since the date",
    examples: ["keyward journal --since 2026-01-01"],
  },
  simulate: {
    positionals: [],
    options: ["days", "users", "emergency-day", "rollback-day", "keyring"],
    synopsis:
      "simulate [--days N] [--users N] [--emergency-day D|none] [--rollback-day D|none] [--keyring signing|sessions]",
    summary:
      "runs a keyring's policy (KEYWARD_* or KEYWARD_SESSIONS_* settings) against simulated traffic, locally (no API): logins and tokens, or sessions opened and lazily re-sealed",
    examples: [
      "keyward simulate --days 365",
      "keyward simulate --emergency-day none --json",
      "keyward simulate --keyring sessions --days 365 --json",
    ],
  },
  "hash-token": {
    positionals: [],
    options: [],
    synopsis: "hash-token",
    summary: "SHA-256 of an operator credential read on stdin, for KEYWARD_OPERATORS",
    examples: ["openssl rand -base64 32 | tee cred | keyward hash-token"],
  },
  help: {
    positionals: ["[COMMAND]"],
    options: [],
    synopsis: "help [COMMAND]",
    summary: "this text, or one command's options and examples",
    examples: ["keyward help revoke"],
  },
};

const GLOBAL_HELP = `options (every command):
  --url URL          the ops API (or KEYWARD_URL; default the local stack's, from .keyward/url)
  --credential CRED  the operator credential (or KEYWARD_OPS_TOKEN; the local stack's is read from .keyward/ops-token)
  --json             machine-readable output, errors included (on stdout)
  --yes, -y          do not ask for confirmation
  --help, -h         help;  --version  the version

exit codes: 0 ok, 1 usage, 2 refused by the API (simulate: the policy refused valid tokens),
            3 service unavailable, 4 unreachable, 5 not confirmed`;

export function usage(): string {
  const width = 24;
  const lines = Object.entries(COMMANDS).map(
    ([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`,
  );
  return `usage: keyward <command> [options]   (keyward help <command> for its options)\n\ncommands:\n${lines.join("\n")}\n\n${GLOBAL_HELP}`;
}

export function commandHelp(name: string): string {
  const spec = COMMANDS[name] as CommandSpec;
  return `usage: keyward ${spec.synopsis}\n\n${spec.summary}\n\nexamples:\n${spec.examples.map((e) => `  ${e}`).join("\n")}\n\n${GLOBAL_HELP}`;
}
