import type { JWK } from "jose";
import { KeyringInvalid } from "../kernel/errors.ts";
import { keyringProblems } from "./invariants.ts";
import { ALGORITHMS, type Algorithm, KEY_STATUSES, type KeyRecord, type KeyStatus } from "./key.ts";
import { KEYRING_SCHEMA, type Keyring, type Rollout } from "./keyring.ts";

/**
 * The stored form of a keyring: JSON with a schema version, timestamps as ISO 8601 strings.
 * `parseKeyring` is the only way in: it reports every problem at once, naming the key and rule.
 */
export interface SerializedKey {
  kid: string;
  alg: Algorithm;
  status: KeyStatus;
  createdAt: string;
  activatedAt?: string;
  deactivatedAt?: string;
  retiredAt?: string;
  destroyedAt?: string;
  compromised: boolean;
  legacy: boolean;
  verifyOnly?: true;
  jwk?: JWK;
  kms?: { arn: string };
}

export interface SerializedKeyring {
  schema: typeof KEYRING_SCHEMA;
  revision: number;
  updatedAt: string;
  keys: SerializedKey[];
  rollout?: { kid: string; percent: number; since: string };
}

const TIMESTAMPS = [
  "createdAt",
  "activatedAt",
  "deactivatedAt",
  "retiredAt",
  "destroyedAt",
] as const;
const KEY_FIELDS = new Set<string>([
  "kid",
  "alg",
  "status",
  "compromised",
  "legacy",
  "verifyOnly",
  "jwk",
  "kms",
  ...TIMESTAMPS,
]);
const KEYRING_FIELDS = new Set(["schema", "revision", "updatedAt", "keys", "rollout"]);

export function toSerialized(keyring: Keyring): SerializedKeyring {
  const out: SerializedKeyring = {
    schema: KEYRING_SCHEMA,
    revision: keyring.revision,
    updatedAt: iso(keyring.updatedAt),
    keys: keyring.keys.map((key) => {
      const serialized: SerializedKey = {
        kid: key.kid,
        alg: key.alg,
        status: key.status,
        createdAt: iso(key.createdAt),
        compromised: key.compromised,
        legacy: key.legacy,
      };
      for (const stamp of TIMESTAMPS) {
        const value = key[stamp];
        if (value !== undefined) serialized[stamp] = iso(value);
      }
      if (key.verifyOnly) serialized.verifyOnly = true;
      if (key.jwk !== undefined) serialized.jwk = key.jwk;
      if (key.kms !== undefined) serialized.kms = { arn: key.kms.arn };
      return serialized;
    }),
  };
  if (keyring.rollout !== undefined) {
    out.rollout = { ...keyring.rollout, since: iso(keyring.rollout.since) };
  }
  return out;
}

export function serializeKeyring(keyring: Keyring): string {
  return JSON.stringify(toSerialized(keyring));
}

/** Parses and validates a stored keyring. Throws `KeyringInvalid` listing every problem. */
export function parseKeyring(input: string | unknown): Keyring {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch {
      throw new KeyringInvalid(["keyring is not valid JSON"]);
    }
  }
  const problems: string[] = [];
  const keyring = readKeyring(value, problems);
  if (keyring !== undefined && problems.length === 0) problems.push(...keyringProblems(keyring));
  if (keyring === undefined || problems.length > 0) throw new KeyringInvalid(problems);
  return keyring;
}

function readKeyring(value: unknown, problems: string[]): Keyring | undefined {
  if (!isPlainObject(value)) {
    problems.push("keyring must be a JSON object");
    return undefined;
  }
  for (const field of Object.keys(value)) {
    if (!KEYRING_FIELDS.has(field)) problems.push(`keyring has unknown field ${field}`);
  }
  if (value.schema !== KEYRING_SCHEMA) {
    problems.push(
      `keyring schema ${String(value.schema)} is not supported (expected ${KEYRING_SCHEMA})`,
    );
    return undefined;
  }
  const revision = value.revision;
  if (!Number.isSafeInteger(revision) || (revision as number) < 0) {
    problems.push("keyring revision must be a non-negative integer");
  }
  const updatedAt = readTimestamp(value.updatedAt, "keyring updatedAt", problems);
  if (!Array.isArray(value.keys)) {
    problems.push("keyring keys must be an array");
    return undefined;
  }
  const keys = value.keys.map((raw, index) => readKey(raw, index, problems));
  let rollout: Rollout | undefined;
  if (value.rollout !== undefined) rollout = readRollout(value.rollout, problems);
  if (keys.some((key) => key === undefined)) return undefined;
  return {
    schema: KEYRING_SCHEMA,
    revision: revision as number,
    updatedAt: updatedAt ?? 0,
    keys: keys as KeyRecord[],
    ...(rollout === undefined ? {} : { rollout }),
  };
}

function readKey(raw: unknown, index: number, problems: string[]): KeyRecord | undefined {
  if (!isPlainObject(raw)) {
    problems.push(`key #${index + 1}: must be a JSON object`);
    return undefined;
  }
  const name = typeof raw.kid === "string" && raw.kid !== "" ? raw.kid : `#${index + 1}`;
  const before = problems.length;
  const say = (problem: string) => problems.push(`key ${name}: ${problem}`);
  if (typeof raw.kid !== "string" || raw.kid === "") say("kid is missing");
  for (const field of Object.keys(raw)) if (!KEY_FIELDS.has(field)) say(`unknown field ${field}`);
  if (!ALGORITHMS.includes(raw.alg as Algorithm)) {
    say(`alg ${JSON.stringify(raw.alg)} is not one of ${ALGORITHMS.join(", ")}`);
  }
  if (!KEY_STATUSES.includes(raw.status as KeyStatus)) {
    say(`status ${JSON.stringify(raw.status)} is not one of ${KEY_STATUSES.join(", ")}`);
  }
  for (const flag of ["compromised", "legacy"] as const) {
    if (typeof raw[flag] !== "boolean") say(`${flag} must be true or false`);
  }
  if (raw.verifyOnly !== undefined && raw.verifyOnly !== true)
    say("verifyOnly must be true when set");
  if (raw.jwk !== undefined && !isPlainObject(raw.jwk)) say("jwk must be a JSON object");
  if (raw.kms !== undefined && !(isPlainObject(raw.kms) && typeof raw.kms.arn === "string"))
    say("kms must be an object with the key's arn");
  const stamps: Partial<Record<(typeof TIMESTAMPS)[number], number>> = {};
  for (const stamp of TIMESTAMPS) {
    if (raw[stamp] === undefined && stamp !== "createdAt") continue;
    const parsed = readTimestamp(raw[stamp], stamp, problems, name);
    if (parsed !== undefined) stamps[stamp] = parsed;
  }
  if (problems.length > before) return undefined;
  return {
    kid: raw.kid as string,
    alg: raw.alg as Algorithm,
    status: raw.status as KeyStatus,
    createdAt: stamps.createdAt ?? 0,
    ...stamps,
    compromised: raw.compromised as boolean,
    legacy: raw.legacy as boolean,
    ...(raw.verifyOnly === true ? { verifyOnly: true as const } : {}),
    ...(raw.jwk === undefined ? {} : { jwk: raw.jwk as JWK }),
    ...(raw.kms === undefined ? {} : { kms: { arn: (raw.kms as { arn: string }).arn } }),
  };
}

function readRollout(raw: unknown, problems: string[]): Rollout | undefined {
  if (!isPlainObject(raw) || typeof raw.kid !== "string" || typeof raw.percent !== "number") {
    problems.push("rollout must be an object with kid, percent and since");
    return undefined;
  }
  const since = readTimestamp(raw.since, "rollout since", problems);
  if (since === undefined) return undefined;
  return { kid: raw.kid, percent: raw.percent, since };
}

function readTimestamp(
  raw: unknown,
  field: string,
  problems: string[],
  kid?: string,
): number | undefined {
  const parsed = typeof raw === "string" && ISO_8601.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isFinite(parsed)) return parsed;
  problems.push(`${kid === undefined ? "" : `key ${kid}: `}${field} must be an ISO 8601 timestamp`);
  return undefined;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
