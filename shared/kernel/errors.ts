/**
 * keyward's error module. Every error thrown on purpose carries a stable `code`; callers (the ops
 * API, the authorizer) switch on the code, never on the message. Expected outcomes such as a
 * refused token or a refused transition are result objects, not errors: these classes are for
 * broken configuration, broken stored data and programming mistakes.
 */
export type ErrorCode =
  | "keyring_invalid"
  | "config_invalid"
  | "store_unavailable"
  | "usage_error"
  | "keyring_conflict"
  | "jwks_read_failed"
  | "secrets_read_failed"
  | "kms_unavailable"
  | "keyring_unavailable"
  | "upstash_request_failed";

export abstract class KeywardError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something is invalid in several ways at once; `problems` lists every one, each naming its subject. */
export abstract class ProblemsError extends KeywardError {
  readonly problems: readonly string[];

  constructor(what: string, problems: readonly string[]) {
    super(`${what} is invalid: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** A keyring (stored, or produced by a transition) breaks a rule. */
export class KeyringInvalid extends ProblemsError {
  override readonly code = "keyring_invalid";

  constructor(problems: readonly string[]) {
    super("keyring", problems);
  }
}

/** Settings that cannot work; each problem names the setting and what is expected. */
export class ConfigInvalid extends ProblemsError {
  override readonly code = "config_invalid";

  constructor(problems: readonly string[]) {
    super("configuration", problems);
  }
}

/** A store (Secrets Manager, Upstash) did not answer, or not in time, or not sensibly. Never means "not revoked". */
export class StoreUnavailable extends KeywardError {
  override readonly code = "store_unavailable";
}

/** A caller asked for something the API does not allow (a bug in the caller, not bad user input). */
export class UsageError extends KeywardError {
  override readonly code = "usage_error";
}

/**
 * Runs `make`, adding the problems of a `ConfigInvalid` it throws to `problems` instead: one
 * constructor checks its parts and reports every problem of all of them at once.
 */
export function collectProblems<T>(problems: string[], make: () => T): T | undefined {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/** Problems of optional whole numbers from `min` (each named as the option it is). */
export function wholeNumberProblems(
  values: Readonly<Record<string, number | undefined>>,
  min: number,
): string[] {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined && !(Number.isInteger(value) && value >= min))
    .map(([name]) => `${name} must be a whole number >= ${min}`);
}
