import { KeyringInvalid } from "../kernel/errors.ts";
import { keyringProblems } from "./invariants.ts";
import type { KeyRecord } from "./key.ts";
import { KEYRING_SCHEMA, type Keyring, type Rollout } from "./keyring.ts";

/**
 * The lifecycle transitions of DESIGN.md as pure functions: each takes a keyring snapshot and
 * `now`, and returns a new snapshot (revision + 1) or a refusal saying why. A refusal is an
 * expected outcome (an operator asked for something the lifecycle forbids); a result that breaks
 * an invariant is a bug and throws `KeyringInvalid`.
 */
export type TransitionRefusalCode =
  | "kid_exists"
  | "key_not_found"
  | "wrong_status"
  | "key_compromised"
  | "no_previous_key"
  | "legacy_key_exists"
  | "rollout_invalid"
  | "secret_invalid";

export type TransitionResult =
  | { readonly ok: true; readonly keyring: Keyring }
  | { readonly ok: false; readonly code: TransitionRefusalCode; readonly message: string };

/** A new keyring whose only key is `key`, made current. */
export function createKeyring(key: KeyRecord, now: number): Keyring {
  return commit(
    { schema: KEYRING_SCHEMA, revision: 0, updatedAt: now, keys: [] },
    [{ ...key, status: "current", activatedAt: now }],
    now,
  );
}

/**
 * Adds a verify-only key as `previous`: it verifies from now on and the grace gate retires it.
 * Without a keyring, `signingKey` becomes the current key of a new one.
 */
export function addVerifyOnlyKey(
  keyring: Keyring | undefined,
  key: KeyRecord,
  signingKey: KeyRecord | undefined,
  now: number,
): TransitionResult {
  if (keyring === undefined && signingKey === undefined) {
    return refuse("secret_invalid", "a verify-only key needs a generated key to sign");
  }
  const base = keyring ?? { schema: KEYRING_SCHEMA, revision: 0, updatedAt: now, keys: [] };
  const signing: KeyRecord[] =
    keyring === undefined && signingKey !== undefined
      ? [{ ...signingKey, status: "current", activatedAt: now }]
      : [];
  return ok(
    commit(
      base,
      [...base.keys, ...signing, { ...key, status: "previous", deactivatedAt: now }],
      now,
      keyring?.rollout,
    ),
  );
}

/** Adds a new key as `pending`: verifiers learn it before it signs anything. */
export function publishKey(keyring: Keyring, key: KeyRecord, now: number): TransitionResult {
  if (keyring.keys.some((k) => k.kid === key.kid)) {
    return refuse("kid_exists", `key ${key.kid} already exists`);
  }
  return ok(
    commit(keyring, [...keyring.keys, { ...key, status: "pending" }], now, keyring.rollout),
  );
}

/** pending → current; the old current key becomes `previous` and starts its grace period. */
export function activateKey(keyring: Keyring, kid: string, now: number): TransitionResult {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refuse("key_not_found", `key ${kid} does not exist`);
  if (key.status !== "pending") {
    return refuse(
      "wrong_status",
      `key ${kid} is ${key.status}; only a pending key can be activated`,
    );
  }
  return ok(promote(keyring, key, now));
}

/** previous or pending → retired: the key stops verifying, reversibly until destroyed. */
export function retireKey(keyring: Keyring, kid: string, now: number): TransitionResult {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refuse("key_not_found", `key ${kid} does not exist`);
  if (key.status !== "previous" && key.status !== "pending") {
    return refuse(
      "wrong_status",
      `key ${kid} is ${key.status}; only previous or pending keys retire`,
    );
  }
  const rollout = keyring.rollout?.kid === kid ? undefined : keyring.rollout;
  return ok(
    commit(keyring, replace(keyring, { ...key, status: "retired", retiredAt: now }), now, rollout),
  );
}

/** retired → previous, for a key that was not compromised. */
export function reinstateKey(keyring: Keyring, kid: string, now: number): TransitionResult {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refuse("key_not_found", `key ${kid} does not exist`);
  if (key.compromised) {
    return refuse("key_compromised", `key ${kid} was compromised and can never be reinstated`);
  }
  if (key.status !== "retired") {
    return refuse(
      "wrong_status",
      `key ${kid} is ${key.status}; only a retired key can be reinstated`,
    );
  }
  const { retiredAt: _, ...rest } = key;
  return ok(
    commit(
      keyring,
      replace(keyring, { ...rest, status: "previous", deactivatedAt: now }),
      now,
      keyring.rollout,
    ),
  );
}

/** retired → destroyed: the material is dropped from the snapshot, irreversibly. */
export function destroyKey(keyring: Keyring, kid: string, now: number): TransitionResult {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refuse("key_not_found", `key ${kid} does not exist`);
  if (key.status !== "retired") {
    return refuse(
      "wrong_status",
      `key ${kid} is ${key.status}; only a retired key can be destroyed`,
    );
  }
  const { jwk: _, ...metadata } = key;
  return ok(
    commit(
      keyring,
      replace(keyring, { ...metadata, status: "destroyed", destroyedAt: now }),
      now,
      keyring.rollout,
    ),
  );
}

/**
 * Swaps `current` with the most recent `previous` key. Compromised keys are never `previous`, so a
 * rollback can never bring one back. A rolling rotation in progress is stopped.
 */
export function rollback(keyring: Keyring, now: number): TransitionResult {
  const candidates = keyring.keys.filter(
    (k) => k.status === "previous" && !k.compromised && !k.verifyOnly,
  );
  const target = candidates.reduce<KeyRecord | undefined>(
    (newest, k) =>
      newest === undefined || (k.deactivatedAt ?? 0) > (newest.deactivatedAt ?? 0) ? k : newest,
    undefined,
  );
  if (target === undefined)
    return refuse("no_previous_key", "there is no previous key to roll back to");
  const { rollout: _, ...stopped } = keyring;
  return ok(promote(stopped, target, now));
}

/**
 * Key compromise: `newKey` becomes current at once and every other key that still exists is
 * retired and marked compromised. The caller also sets the global revocation cut-off.
 */
export function emergencyRotate(
  keyring: Keyring,
  newKey: KeyRecord,
  now: number,
): TransitionResult {
  if (keyring.keys.some((k) => k.kid === newKey.kid)) {
    return refuse("kid_exists", `key ${newKey.kid} already exists`);
  }
  const keys = keyring.keys.map(
    (k): KeyRecord =>
      k.status === "destroyed"
        ? k
        : {
            ...k,
            status: "retired",
            compromised: true,
            retiredAt: k.status === "retired" ? (k.retiredAt ?? now) : now,
          },
  );
  keys.push({ ...newKey, status: "current", activatedAt: now, compromised: false });
  return ok(commit(keyring, keys, now));
}

/** Rolling rotation: the pending key `kid` signs for `percent` % of subjects (1..99). */
export function setRollout(
  keyring: Keyring,
  kid: string,
  percent: number,
  now: number,
): TransitionResult {
  const key = keyring.keys.find((k) => k.kid === kid);
  if (key === undefined) return refuse("key_not_found", `key ${kid} does not exist`);
  if (key.status !== "pending") {
    return refuse(
      "rollout_invalid",
      `key ${kid} is ${key.status}; only a pending key can roll out`,
    );
  }
  if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
    return refuse(
      "rollout_invalid",
      `rollout percent must be an integer from 1 to 99, got ${percent}`,
    );
  }
  const rollout: Rollout = { kid, percent, since: now };
  return ok(commit(keyring, keyring.keys, now, rollout));
}

/** Makes `key` current (from any status the caller allowed) and the old current key previous. */
export function promote(keyring: Keyring, key: KeyRecord, now: number): Keyring {
  const keys = keyring.keys.map((k): KeyRecord => {
    if (k.kid === key.kid) {
      const { deactivatedAt: _, ...rest } = key;
      return { ...rest, status: "current", activatedAt: now };
    }
    if (k.status === "current") return { ...k, status: "previous", deactivatedAt: now };
    return k;
  });
  if (!keys.some((k) => k.kid === key.kid))
    keys.push({ ...key, status: "current", activatedAt: now });
  const rollout = keyring.rollout?.kid === key.kid ? undefined : keyring.rollout;
  return commit(keyring, keys, now, rollout);
}

function replace(keyring: Keyring, key: KeyRecord): KeyRecord[] {
  return keyring.keys.map((k) => (k.kid === key.kid ? key : k));
}

function commit(
  keyring: Keyring,
  keys: readonly KeyRecord[],
  now: number,
  rollout?: Rollout,
): Keyring {
  const next: Keyring = {
    schema: KEYRING_SCHEMA,
    revision: keyring.revision + 1,
    updatedAt: now,
    keys,
    ...(rollout === undefined ? {} : { rollout }),
  };
  const problems = keyringProblems(next);
  if (problems.length > 0) throw new KeyringInvalid(problems);
  return next;
}

function ok(keyring: Keyring): TransitionResult {
  return { ok: true, keyring };
}

function refuse(code: TransitionRefusalCode, message: string): TransitionResult {
  return { ok: false, code, message };
}
