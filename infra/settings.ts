import { Duration } from "aws-cdk-lib";
import type { Setting } from "../shared/config/setting.ts";
import { SETTING_GROUPS, SETTINGS, type SettingName } from "../shared/config/settings.ts";
import { readVerifierConfig } from "../shared/config/verifier-config.ts";
import { readWriterConfig } from "../shared/config/writer-config.ts";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import type { Algorithm } from "../shared/keyring/key.ts";

/** The rotation policy and verification settings, as construct props (docs/settings.md). */
export interface KeywardSettings {
  /** Algorithm of new keys. Default HS256. */
  readonly algorithm?: Algorithm;
  /** graceful (default) or rolling. */
  readonly strategy?: "graceful" | "rolling";
  /**
   * Where new signing keys are held: `keyring` (default), with the keyring in Secrets Manager;
   * `kms`, in AWS KMS, never leaving it (`algorithm` ES256 or RS256). docs/kms.md.
   */
  readonly signingKeys?: "keyring" | "kms";
  /** A new key becomes current this long after the last activation. Default 90 days. */
  readonly rotationPeriod?: Duration;
  /** A previous key verifies at least this long. Default 7 days. */
  readonly minGrace?: Duration;
  /** ...and at most this long. Default 21 days. */
  readonly maxGrace?: Duration;
  /** Between the two, a previous key retires once its share of verifications is below this. Default 5. */
  readonly retireBelowPercent?: number;
  /** A retired key stays reinstatable this long before it is destroyed. Default 7 days. */
  readonly retention?: Duration;
  /** The longest lifetime of an issued token. Default 24 hours. */
  readonly maxTokenLifetime?: Duration;
  /** How long verifiers cache the keyring. Default 60 s. */
  readonly keyringCacheTtl?: Duration;
  /** A new key stays pending this long beyond the keyring cache TTL before it signs. Default 60 s. */
  readonly prePublicationMargin?: Duration;
  /**
   * A pending key signs only once every live verifier holds it; past the pre-publication period by
   * this long, a key still waiting raises PropagationIncomplete (and its alarm). Default 1 hour.
   */
  readonly propagationMaxWait?: Duration;
  /** What the authorizer does when Upstash does not answer in time. Default closed. */
  readonly failureMode?: "closed" | "open";
  /** Key prefix in Upstash, shared by every function. Default `kw:`. */
  readonly redisPrefix?: string;
  /** `iss` verifiers require and issuers set. Default: not checked. */
  readonly issuer?: string;
  /** `aud` verifiers require. Default: not checked. */
  readonly audience?: string;
  /** Header `typ` verifiers require and issuers set. Default JWT. */
  readonly tokenType?: string;
  /** The header the token comes in (the attach methods' default too). Default Authorization. */
  readonly tokenHeader?: string;
  /** A cookie the token may come in instead (REST REQUEST and HTTP API authorizers). */
  readonly tokenCookie?: string;
  /** Clock skew verifiers allow. Default 5 s. */
  readonly clockTolerance?: Duration;
  /** While Secrets Manager fails, the last good keyring verifies this long. Default 15 min. */
  readonly keyringMaxStale?: Duration;
  /**
   * A verifier counts as live this long after its last receipt: a pending key waits for the live
   * ones. Default 5 min (2 min to 1 hour).
   */
  readonly receiptWindow?: Duration;
  /** A token naming an unknown kid reloads the keyring at most once per this. Default 10 s. */
  readonly unknownKidCooldown?: Duration;
  /** A request naming an unknown kid waits this long for the reload. Default 1 s. */
  readonly unknownKidWait?: Duration;
  /** The time budget of the revocation check. Default 100 ms. */
  readonly revocationBudget?: Duration;
  /**
   * Verifiers keep the revocation rules in memory, refreshed from the change log (zero round
   * trips while fresh). Default true; false makes every check a lookup (one round trip).
   */
  readonly revocationMirror?: boolean;
  /**
   * The mirror decides alone only while its last refresh began less than this ago. Default 900 ms;
   * with `revocationBudget`, at most 1 s (the revocation promise).
   */
  readonly revocationFreshness?: Duration;
  /** Above this many live rules the mirror stops and checks are lookups. Default 200,000. */
  readonly revocationMirrorMaxRules?: number;
  /** The sessions keyring's own policy (A256GCM keys for `keyward/sessions`). */
  readonly sessions?: SessionKeyringSettings;
}

/** The sessions keyring's policy; the keyring cache TTL is the signing keyring's. */
export interface SessionKeyringSettings {
  /** A new key becomes current this long after the last activation. Default 30 days. */
  readonly rotationPeriod?: Duration;
  /** The longest a session may live: no key retires before its last session ends. Default 7 days. */
  readonly maxSessionLifetime?: Duration;
  /** A previous key opens sessions at least this long. Default 7 days. */
  readonly minGrace?: Duration;
  /** ...and at most this long (or the longest session, if later). Default 21 days. */
  readonly maxGrace?: Duration;
  /** Between the two, a previous key retires once its share of opened sessions is below this. Default 5. */
  readonly retireBelowPercent?: number;
  /** A retired key stays reinstatable this long before it is destroyed. Default 7 days. */
  readonly retention?: Duration;
}

/** The environment every function reads its settings from, checked with the functions' own reader. */
export interface SettingsEnvironment {
  /** The rotation policies: the rotation function and the ops API read the same. */
  readonly policy: Record<string, string>;
  /** How tokens are verified: the verifiers, the issuing endpoint and the writers read them. */
  readonly verifier: Record<string, string>;
  readonly redisPrefix: string;
}

/**
 * Written even when left at their defaults: what a reader of the template should see without
 * knowing the defaults (what a store failure does, how long tokens and cached keyrings live,
 * where the rules are).
 */
const ALWAYS_WRITTEN: readonly SettingName[] = [
  "failureMode",
  "maxTokenLifetime",
  "keyringCacheTtl",
  "redisPrefix",
];

/**
 * Turns the props into the functions' variables (docs/settings.md) and checks them at synth with
 * the same code the functions run at start, so a policy they would refuse (a grace shorter than
 * a token's life...) fails `cdk synth` with the same message, named by prop, instead of a broken
 * deployment.
 */
export function settingsEnvironment(settings: KeywardSettings): SettingsEnvironment {
  const problems: string[] = [];
  const variables = (group: Readonly<Record<string, Setting>>) =>
    Object.fromEntries(
      Object.entries(group).flatMap(([name, setting]) => {
        const value = setting.prop ? propValue(settings, setting.prop) : undefined;
        if (value === undefined && !ALWAYS_WRITTEN.includes(name as SettingName)) return [];
        const variable = asVariable(setting, value, problems);
        return variable === undefined ? [] : [[setting.env, variable]];
      }),
    );
  const policy = variables(SETTING_GROUPS.policy);
  const verifier = variables(SETTING_GROUPS.verification);
  // The functions' own readers, on the variables they will get (the stores' names stand in).
  const env = {
    ...policy,
    ...verifier,
    KEYWARD_SECRET_PREFIX: "keyward/synth",
    KEYWARD_UPSTASH_SECRET_ID: "synth",
    KEYWARD_EVENT_BUS: "synth",
  };
  for (const check of [() => readVerifierConfig(env), () => readWriterConfig(env)]) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigInvalid)) throw error;
      problems.push(
        ...error.problems.map((problem) =>
          problem.replace(/KEYWARD_[A-Z_]+/g, (name) => PROP_OF[name] ?? name),
        ),
      );
    }
  }
  if (problems.length > 0) throw new ConfigInvalid([...new Set(problems)]);
  return { policy, verifier, redisPrefix: verifier[SETTINGS.redisPrefix.env] ?? "" };
}

/** A prop's value, dotted for the sessions keyring's (`sessions.rotationPeriod`). */
function propValue(settings: KeywardSettings, prop: string): unknown {
  return prop
    .split(".")
    .reduce<unknown>(
      (from, key) => (from === undefined ? undefined : (from as Record<string, unknown>)[key]),
      settings,
    );
}

/** A prop as its variable's text (undefined: a problem, or unset), in the setting's unit. */
function asVariable(setting: Setting, value: unknown, problems: string[]): string | undefined {
  if (setting.kind !== "number") {
    const chosen = value ?? ("default" in setting ? setting.default : undefined);
    if (typeof chosen === "boolean") return chosen ? "on" : "off";
    return chosen === undefined ? undefined : String(chosen);
  }
  if (value === undefined) return String(setting.default);
  if (!(value instanceof Duration)) return String(value);
  const amount =
    setting.unit === "days"
      ? value.toDays({ integral: false })
      : setting.unit === "milliseconds"
        ? value.toMilliseconds({ integral: false })
        : value.toSeconds({ integral: false });
  if (Number.isInteger(amount)) return String(amount);
  problems.push(`${setting.prop} must be a whole number of ${setting.unit}`);
  return undefined;
}

/** The props behind the functions' variables, to name them in synth errors. */
const PROP_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(SETTINGS as Readonly<Record<string, Setting>>).flatMap((setting) =>
    setting.prop ? [[setting.env, setting.prop]] : [],
  ),
);
