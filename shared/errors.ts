/**
 * keyward's error module. Every error thrown on purpose carries a stable `code`; callers (the ops
 * API, the authorizer) switch on the code, never on the message. Expected outcomes such as a
 * refused token or a refused transition are result objects, not errors: these classes are for
 * broken configuration, broken stored data and programming mistakes.
 */
export class KeywardError extends Error {
  readonly code: string = "keyward_error";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A keyring (stored, or produced by a transition) breaks a rule; `problems` lists every one. */
export class KeyringInvalid extends KeywardError {
  override readonly code = "keyring_invalid";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`keyring is invalid: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** Settings that cannot work; `problems` names each setting and what is expected. */
export class ConfigInvalid extends KeywardError {
  override readonly code = "config_invalid";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`configuration is invalid: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** A caller asked for something the API does not allow (a bug in the caller, not bad user input). */
export class UsageError extends KeywardError {
  override readonly code = "usage_error";
}
