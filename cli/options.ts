/** Options every command takes. */
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
  "cold-hours",
  "cut-off-day",
  "from-env",
  "encoding",
  "family",
  "session-lifetime",
  "port",
  "html",
]);
