import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { decodeBase64url } from "../kernel/base64url.ts";
import { type Clock, SECOND, systemClock } from "../kernel/clock.ts";
import { ConfigInvalid, UsageError } from "../kernel/errors.ts";
import { isEncryption, isVerifying, type KeyRecord } from "../keyring/key.ts";
import { currentKey, type Keyring } from "../keyring/keyring.ts";
import { SESSIONS_POLICY_DEFAULTS } from "../keyring/policy.ts";
import { type FailureMode, guardRevocations } from "../revocation/guard.ts";
import { keyRuleFacts } from "../revocation/rules.ts";
import type { RevocationStore } from "../revocation/store.ts";
import type { UsageOutcome } from "../usage/counts.ts";
import type { KeyringRead } from "../verification/keyring-cache.ts";
import {
  DEFAULT_LEGACY_LAYOUT,
  DEFAULT_MAX_ENVELOPE_LENGTH,
  ENVELOPE_LENGTH_RANGE,
  type Envelope,
  formatEnvelope,
  IV_BYTES,
  type LegacyLayout,
  legacyLayoutProblems,
  parseEnvelope,
  parseLegacy,
  TAG_BYTES,
} from "./envelope.ts";

/** Why an envelope did not open: one stable code each, never confused with one another. */
export const OPEN_REFUSALS = {
  malformed: "not an envelope: neither the v1 layout nor the configured legacy one",
  unknown_kid: "no key of the sessions keyring has this kid",
  tampered: "the tag does not match: altered, truncated, sealed with other AAD, or not keyward's",
  key_retired: "the key that sealed it is retired: the session outlived the key's grace",
  key_compromised: "the key that sealed it was retired by an emergency rotation",
  key_destroyed: "the key that sealed it is destroyed: its material is gone",
  key_revoked:
    "the key that sealed it was revoked (an emergency rotation): refused whatever the cached keyring says",
  keyring_unavailable: "the sessions keyring could not be loaded",
  store_unavailable:
    "the revocation store did not answer within its budget: refused (failure mode closed)",
} as const;
export type OpenRefusal = keyof typeof OPEN_REFUSALS;

export type OpenResult =
  | {
      readonly ok: true;
      readonly plaintext: Uint8Array;
      readonly kid: string;
      /** Sealed with a key that is not current: seal it again, so the old key's share falls. */
      readonly reseal: boolean;
    }
  | { readonly ok: false; readonly reason: OpenRefusal; readonly kid?: string };

export interface SealOptions {
  /** Bound to the envelope (for example the session id): opening needs the same. */
  readonly aad?: string | Uint8Array;
}

export interface SealingOptions extends SealOptions {
  /**
   * When the session ends, as a `Date` (or `expiresAtMs`, milliseconds since the epoch; not both).
   * At most the maximum session lifetime from now: a key retires once everything it sealed has
   * expired, which it can only know if no session outlives that bound. Default: the bound itself.
   */
  readonly expiresAt?: Date;
  readonly expiresAtMs?: number;
}

export interface Sealer {
  /** Throws `UsageError` when no key can seal or `expiresAt` is past the maximum session lifetime. */
  seal(plaintext: string | Uint8Array, options?: SealingOptions): Promise<string>;
  /** Never throws on any input; the reason says why it did not open. */
  open(envelope: unknown, options?: SealOptions): Promise<OpenResult>;
}

export interface SealerOptions {
  /** The sessions keyring, cached (a `KeyringCache`), as the verifiers cache theirs. */
  readonly keyrings: { get(): Promise<KeyringRead> };
  /** Envelopes without a kid from before keyward; `false` refuses them. Default: base64, 12-byte IV. */
  readonly legacy?: LegacyLayout | false;
  /**
   * The longest envelope, in characters: a longer one is refused as `malformed` before it is
   * decoded, and a seal that would make one throws. Default 65,536; from 1,024 to 1,048,576.
   */
  readonly maxEnvelopeLength?: number;
  /** Counts each open for its key (the grace gate), and each refused because its key retired. */
  readonly recordUsage?: (kid: string, outcome: UsageOutcome) => void;
  /**
   * The key rules an emergency writes (`rv:k:<kid>`), checked at every open in one round trip:
   * a session sealed under a compromised key is refused at its next request, whatever the cached
   * keyring says. Without it, only the keyring (up to its cache TTL late) refuses them.
   */
  readonly revocations?: Pick<RevocationStore, "check">;
  /** When the revocation store does not answer: `closed` (default) refuses, `open` opens. */
  readonly failureMode?: FailureMode;
  /** The longest a session may live, in seconds: the retirement bound. Default 7 days. */
  readonly maxSessionLifetimeSeconds?: number;
  readonly clock?: Clock;
}

/** The default maximum session lifetime: the sessions keyring's (`KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS`). */
export const DEFAULT_MAX_SESSION_LIFETIME_SECONDS =
  SESSIONS_POLICY_DEFAULTS.maxTokenLifetimeMs / SECOND;

const encoder = new TextEncoder();
const bytesOf = (value: string | Uint8Array | undefined) =>
  value === undefined
    ? new Uint8Array(0)
    : typeof value === "string"
      ? encoder.encode(value)
      : value;

/**
 * Seals session data with the sessions keyring's current key (AES-256-GCM by Node's synchronous
 * cipher: WebCrypto's costs a thread-pool round trip per message; a fresh random 96-bit IV per
 * message, the kid in the envelope) and opens it with whichever key sealed it, while that
 * key still verifies (pending, current, previous). Opening under a retired or compromised key is
 * its own outcome, counted, never reported as tampering. Never logs; messages hold no material.
 */
export function createSealer(options: SealerOptions): Sealer {
  const legacy = options.legacy === undefined ? DEFAULT_LEGACY_LAYOUT : options.legacy;
  const maxLength = options.maxEnvelopeLength ?? DEFAULT_MAX_ENVELOPE_LENGTH;
  const problems = legacy === false ? [] : legacyLayoutProblems(legacy);
  const { min, max } = ENVELOPE_LENGTH_RANGE;
  if (!(Number.isInteger(maxLength) && maxLength >= min && maxLength <= max))
    problems.push(`maxEnvelopeLength must be a whole number of characters from ${min} to ${max}`);
  if (problems.length > 0) throw new ConfigInvalid(problems);
  const clock = options.clock ?? systemClock;
  const maxLifetimeMs =
    (options.maxSessionLifetimeSeconds ?? DEFAULT_MAX_SESSION_LIFETIME_SECONDS) * SECOND;
  // The emergency's key rules under the failure mode, as the verifiers apply them.
  const keyRules =
    options.revocations === undefined
      ? undefined
      : guardRevocations(options.revocations, options.failureMode);
  const materials = new WeakMap<KeyRecord, Uint8Array>();
  const materialOf = (key: KeyRecord): Uint8Array => {
    let raw = materials.get(key);
    if (raw === undefined) {
      raw = decodeBase64url(key.jwk?.k);
      if (raw?.length !== 32) throw new UsageError(`key ${key.kid} has no sealing material`);
      materials.set(key, raw);
    }
    return raw;
  };

  const keyring = async (): Promise<Keyring | undefined> => {
    const read = await options.keyrings.get();
    return read.ok ? read.keyring : undefined;
  };

  return {
    async seal(plaintext, sealOptions = {}) {
      const expiresAt = expiryOf(sealOptions);
      if (
        expiresAt !== undefined &&
        !(Number.isFinite(expiresAt) && expiresAt <= clock.now() + maxLifetimeMs)
      )
        throw new UsageError(
          `expiresAt must be at most the maximum session lifetime (${maxLifetimeMs / SECOND} s) from now`,
        );
      const ring = await keyring();
      if (ring === undefined) throw new UsageError("the sessions keyring could not be loaded");
      const key = currentKey(ring);
      if (!isEncryption(key.alg) || key.jwk === undefined || key.compromised)
        throw new UsageError(`key ${key.kid} cannot seal: the keyring is not a sessions keyring`);
      const iv = new Uint8Array(randomBytes(IV_BYTES));
      const cipher = createCipheriv("aes-256-gcm", materialOf(key), iv);
      cipher.setAAD(bytesOf(sealOptions.aad));
      const sealed = Buffer.concat([
        cipher.update(bytesOf(plaintext)),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      const envelope = formatEnvelope({ kid: key.kid, iv, sealed: new Uint8Array(sealed) });
      if (envelope.length > maxLength)
        throw new UsageError(
          `the sealed session would be ${envelope.length} characters, over maxEnvelopeLength (${maxLength})`,
        );
      return envelope;
    },

    async open(text, openOptions = {}) {
      try {
        let envelope: Envelope | undefined = parseEnvelope(text, maxLength);
        const legacyLayout = envelope === undefined;
        const ring = await keyring();
        if (ring === undefined) return { ok: false, reason: "keyring_unavailable" };
        let key: KeyRecord | undefined;
        if (envelope !== undefined) {
          key = ring.keys.find((k) => k.kid === envelope?.kid);
          if (key === undefined) return { ok: false, reason: "unknown_kid" };
        } else if (legacy !== false) {
          const old = parseLegacy(text, legacy, maxLength);
          key = ring.keys.find((k) => k.legacy);
          if (old === undefined || key === undefined) return { ok: false, reason: "malformed" };
          envelope = { kid: key.kid, ...old };
        } else {
          return { ok: false, reason: "malformed" };
        }
        if (!isEncryption(key.alg)) return { ok: false, reason: "unknown_kid" };
        if (!isVerifying(key.status) || key.jwk === undefined) {
          const reason = key.compromised
            ? "key_compromised"
            : key.status === "destroyed"
              ? "key_destroyed"
              : "key_retired";
          options.recordUsage?.(key.kid, "refused");
          return { ok: false, reason, kid: key.kid };
        }
        const material = materialOf(key);
        let plaintext: Uint8Array;
        try {
          const tagAt = envelope.sealed.length - TAG_BYTES;
          const decipher = createDecipheriv("aes-256-gcm", material, envelope.iv, {
            authTagLength: TAG_BYTES,
          });
          decipher.setAAD(bytesOf(openOptions.aad));
          decipher.setAuthTag(envelope.sealed.subarray(tagAt));
          plaintext = new Uint8Array(
            Buffer.concat([decipher.update(envelope.sealed.subarray(0, tagAt)), decipher.final()]),
          );
        } catch {
          return { ok: false, reason: "tampered", kid: key.kid };
        }
        // An emergency's key rule overrides the cached keyring's word that the key still opens.
        // Checked once the tag matched, so forged envelopes cost no round trip.
        const rule = await keyRules?.(keyRuleFacts(key.kid));
        if (rule?.status === "revoked") {
          options.recordUsage?.(key.kid, "refused");
          return { ok: false, reason: "key_revoked", kid: key.kid };
        }
        if (rule?.allowed === false)
          return { ok: false, reason: "store_unavailable", kid: key.kid };
        options.recordUsage?.(key.kid, "verified");
        // A legacy envelope is re-sealed in the v1 layout whatever its key's status.
        const reseal = legacyLayout || key.status !== "current";
        return { ok: true, plaintext, kid: key.kid, reseal };
      } catch {
        // A keyring whose material cannot be imported: deny, never throw at the caller.
        return { ok: false, reason: "keyring_unavailable" };
      }
    },
  };
}

/** A seal's expiry in milliseconds: a `Date`, or milliseconds under a name that says so. */
function expiryOf(options: SealingOptions): number | undefined {
  const { expiresAt, expiresAtMs } = options;
  if (expiresAt !== undefined && expiresAtMs !== undefined)
    throw new UsageError("give expiresAt (a Date) or expiresAtMs (milliseconds), not both");
  if (expiresAt === undefined) return expiresAtMs;
  if (!(expiresAt instanceof Date))
    throw new UsageError(
      "expiresAt takes a Date; for milliseconds since the epoch, use expiresAtMs",
    );
  return expiresAt.getTime();
}
