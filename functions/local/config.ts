import type { AwsSettings } from "../../shared/config/aws-env.ts";
import { awsSettings } from "../../shared/config/aws-env.ts";
import { type Environment, EnvReader } from "../../shared/config/env.ts";
import { readChoice } from "../../shared/config/setting.ts";
import { SETTINGS } from "../../shared/config/settings.ts";
import {
  readVerificationSettings,
  type VerificationSettings,
} from "../../shared/config/verifier-config.ts";
import { readRotationPolicy, readSigningKeys } from "../../shared/config/writer-config.ts";
import type { RotationPolicy } from "../../shared/keyring/policy.ts";
import { type KmsKeys, readSigningKms } from "../../shared/keyring-store/kms-keys.ts";
import type { UpstashSettings } from "../../shared/upstash/settings.ts";

/** The real stores the local stack uses instead of its own, when their settings are present. */
export interface LocalStores {
  /** The keyrings in Secrets Manager under this prefix (with `aws`), instead of files. */
  readonly secretPrefix?: string;
  /** Revocations, journal, usage and refresh families in Upstash, instead of memory. */
  readonly upstash?: UpstashSettings;
  /** Region, endpoint and credentials for Secrets Manager (the standard AWS variables). */
  readonly aws?: AwsSettings;
  /**
   * New signing keys in AWS KMS (`KEYWARD_SIGNING_KEYS=kms`, with the standard AWS variables and
   * `AWS_ENDPOINT_URL_KMS`) instead of with the keyring; ES256 or RS256.
   */
  readonly kms?: KmsKeys;
}

/** What `npm start` reads from its environment: the deployed functions' own settings. */
export interface LocalConfig {
  readonly stores: LocalStores;
  /** The authorizer's settings (docs/settings.md), read by the authorizer's reader. */
  readonly verification: VerificationSettings;
  readonly policy: RotationPolicy;
  readonly sessionsPolicy: RotationPolicy;
}

/**
 * The local stack's configuration from `env`, every problem at once: the verifier's settings
 * through the authorizer's reader, the rotation policies through the rotation function's, and
 * the real stores when `KEYWARD_SECRET_PREFIX` or `UPSTASH_REDIS_REST_URL`/`_TOKEN` are set.
 */
export function readLocalConfig(env: Environment): LocalConfig {
  const read = new EnvReader(env);
  const verification = readVerificationSettings(read);
  const policy = readRotationPolicy(read, "signing");
  const sessionsPolicy = readRotationPolicy(read, "sessions");
  const stores = readLocalStores(read, env, readSigningKeys(read, policy));
  read.done();
  return { stores, verification, policy, sessionsPolicy };
}

/**
 * `KEYWARD_SECRET_PREFIX` (with the AWS variables), `UPSTASH_REDIS_REST_URL`/`_TOKEN` and
 * `KEYWARD_SIGNING_KEYS=kms`, when set.
 */
export function storesFromEnv(env: Environment): LocalStores {
  const read = new EnvReader(env);
  const stores = readLocalStores(read, env, readChoice(read, SETTINGS.signingKeys));
  read.done();
  return stores;
}

function readLocalStores(
  read: EnvReader,
  env: Environment,
  signingKeys: "keyring" | "kms",
): LocalStores {
  const url = read.url("UPSTASH_REDIS_REST_URL");
  const token = read.string("UPSTASH_REDIS_REST_TOKEN");
  if ((read.string("UPSTASH_REDIS_REST_URL") === undefined) !== (token === undefined))
    read.problem("set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither");
  const secretPrefix = read.string("KEYWARD_SECRET_PREFIX");
  const kms = readSigningKms(read, env, signingKeys);
  return {
    ...(secretPrefix === undefined
      ? {}
      : { secretPrefix, aws: awsSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER") }),
    ...(url === undefined || token === undefined ? {} : { upstash: { url, token } }),
    ...(kms === undefined ? {} : { kms }),
  };
}
