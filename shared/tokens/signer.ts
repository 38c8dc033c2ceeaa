import { SignJWT } from "jose";
import { ConfigInvalid, UsageError } from "../kernel/errors.ts";
import { cryptoRandom, type RandomSource } from "../kernel/random.ts";
import { isEncryption, type KeyRecord } from "../keyring/key.ts";
import { currentKey, type Keyring } from "../keyring/keyring.ts";
import { cohortOf } from "./cohort.ts";
import { CryptoKeyCache } from "./crypto-keys.ts";
import { hs256Jws } from "./hmac-jws.ts";
import { timeOrderedJti } from "./issuance.ts";
import { type KmsSigning, kmsJws } from "./kms-jws.ts";

export interface SignerOptions {
  readonly issuer?: string;
  readonly audience?: string;
  /** Header `typ`. Default "JWT". */
  readonly type?: string;
  /** Lifetime of a token when the caller names none, in seconds. Default 3600 (or the maximum, if lower). */
  readonly lifetimeSeconds?: number;
  /** No token may live longer (the policy's maximum token lifetime). Default 86,400. */
  readonly maxLifetimeSeconds?: number;
  /** Randomness of the jti. Default: the platform's CSPRNG (simulations pass a seeded one). */
  readonly random?: RandomSource;
  /** Where keys held in KMS sign (`KmsKeys`); a KMS key without it is a `UsageError`. */
  readonly kms?: KmsSigning;
}

export interface TokenRequest {
  readonly sub: string;
  /** Extra claims. The registered claims keyward sets itself (iat, exp, jti, nbf, iss, aud) are refused. */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly lifetimeSeconds?: number;
  /** `aud` of this token, instead of the signer's `audience`. */
  readonly audience?: string;
  /**
   * The refresh-token family the token is issued from (claim `fid`, so that revoking the family
   * reaches its access tokens). Set by the issuer, never by a caller's claims.
   */
  readonly familyId?: string;
}

export interface SignedToken {
  readonly token: string;
  readonly kid: string;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

export interface TokenSigner {
  /** Signs with the current key, or with the rolling key if the subject's cohort is on it. */
  sign(keyring: Keyring, request: TokenRequest, nowMs: number): Promise<string>;
  /** The same, with what the token says about itself. */
  issue(keyring: Keyring, request: TokenRequest, nowMs: number): Promise<SignedToken>;
  /** The lifetime of a token whose request names none, in seconds. */
  readonly defaultLifetimeSeconds: number;
}

export const RESERVED_CLAIMS = new Set(["iat", "exp", "jti", "nbf", "iss", "aud", "sub", "fid"]);

export function createSigner(options: SignerOptions = {}): TokenSigner {
  const maxLifetime = options.maxLifetimeSeconds ?? 86_400;
  const lifetime = options.lifetimeSeconds ?? Math.min(3600, maxLifetime);
  const random = options.random ?? cryptoRandom;
  const problems: string[] = [];
  if (!isLifetime(maxLifetime)) problems.push("maxLifetimeSeconds must be a whole number >= 1");
  if (!isLifetime(lifetime) || lifetime > maxLifetime) {
    problems.push("lifetimeSeconds must be a whole number from 1 to maxLifetimeSeconds");
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
  const cryptoKeys = new CryptoKeyCache();

  const issue = async (
    keyring: Keyring,
    request: TokenRequest,
    nowMs: number,
  ): Promise<SignedToken> => {
    if (typeof request.sub !== "string" || request.sub === "") {
      throw new UsageError("sub must be a non-empty string");
    }
    const ttl = request.lifetimeSeconds ?? lifetime;
    if (!isLifetime(ttl) || ttl > maxLifetime) {
      throw new UsageError(`lifetimeSeconds must be a whole number from 1 to ${maxLifetime}`);
    }
    const extra = request.claims ?? {};
    const reserved = Object.keys(extra).filter((claim) => RESERVED_CLAIMS.has(claim));
    if (reserved.length > 0)
      throw new UsageError(`claims ${reserved.join(", ")} are set by keyward`);

    const key = signingKey(keyring, request.sub);
    const iat = Math.floor(nowMs / 1000);
    // The jti carries the issuance instant to the millisecond, for exact revocation cut-offs.
    const jti = timeOrderedJti(nowMs, random);
    const exp = iat + ttl;
    const audience = request.audience ?? options.audience;
    const header = { alg: key.alg, kid: key.kid, typ: options.type ?? "JWT" };
    const payload = {
      ...extra,
      sub: request.sub,
      jti,
      iat,
      exp,
      ...(options.issuer === undefined ? {} : { iss: options.issuer }),
      ...(audience === undefined ? {} : { aud: audience }),
      ...(request.familyId === undefined ? {} : { fid: request.familyId }),
    };
    const token =
      key.kms !== undefined
        ? await kmsJws(key, header, payload, options.kms)
        : key.alg === "HS256"
          ? hs256Jws(key, header, payload)
          : await new SignJWT(payload)
              .setProtectedHeader(header)
              .sign(await cryptoKeys.get(key, "sign"));
    return { token, kid: key.kid, jti, exp };
  };
  return {
    issue,
    defaultLifetimeSeconds: lifetime,
    sign: async (keyring, request, nowMs) => (await issue(keyring, request, nowMs)).token,
  };
}

/**
 * The key a subject's tokens are signed with right now: the rolling key for its cohort during a
 * rollout, else the current key. Never a pending key outside a rollout, nor a key that verifies no
 * more, nor a verify-only one: a keyring that offers nothing else is a bug, and refused.
 */
export function signingKey(keyring: Keyring, sub: string): KeyRecord {
  const rollout = keyring.rollout;
  if (rollout !== undefined && cohortOf(sub) < rollout.percent) {
    const key = keyring.keys.find((k) => k.kid === rollout.kid);
    if (key !== undefined && key.status === "pending" && !key.verifyOnly) return key;
  }
  const key = currentKey(keyring);
  if (key.verifyOnly || key.compromised || key.jwk === undefined || isEncryption(key.alg))
    throw new UsageError(`key ${key.kid} cannot sign`);
  return key;
}

function isLifetime(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}
