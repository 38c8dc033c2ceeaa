import { compactVerify, errors, type JWSHeaderParameters } from "jose";
import { ConfigInvalid } from "../errors.ts";
import {
  ALGORITHMS,
  isVerifying,
  type KeyRecord,
  KID_PATTERN,
  type VerifyingStatus,
} from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { type TokenClaims, validateClaims } from "./claims.ts";
import { CryptoKeyCache } from "./crypto-keys.ts";
import { indexKeyring, type KeyringIndex } from "./keyring-index.ts";
import type { RefusalReason } from "./refusal.ts";
import { VerifiedTokenCache } from "./verified-token-cache.ts";

export interface VerifierOptions {
  /** Expected `iss`; compared exactly. */
  readonly issuer?: string;
  /** Expected `aud`: the token's `aud` must be it or an array containing it. */
  readonly audience?: string;
  /** Expected header `typ` (e.g. "at+jwt"), so a refresh token is not taken for an access token. */
  readonly type?: string;
  /** Allowed clock skew for exp, nbf and iat, in seconds. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Tokens longer than this many characters are refused before parsing. Default 8192. */
  readonly maxTokenLength?: number;
  /** Entries in the verified-token cache; 0 disables it. Default 10,000. */
  readonly cacheSize?: number;
}

export type Verification =
  | {
      readonly ok: true;
      readonly claims: TokenClaims;
      readonly kid: string;
      readonly keyStatus: VerifyingStatus;
      /** Verified through the imported legacy key without a `kid` (the legacy system's shape). */
      readonly legacy: boolean;
    }
  | { readonly ok: false; readonly reason: RefusalReason };

export interface TokenVerifier {
  /** Never throws on bad input: every token gets an allow or a refusal with one reason. */
  verify(token: unknown, keyring: Keyring, nowMs: number): Promise<Verification>;
}

/** Headers that would let a token choose its own key or change how it is read. */
const FORBIDDEN_HEADERS = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"];
const JOSE_ALGORITHMS = [...ALGORITHMS];

class Refused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
  }
}

export function createVerifier(options: VerifierOptions = {}): TokenVerifier {
  const settings = resolveOptions(options);
  const cryptoKeys = new CryptoKeyCache();
  const cache = new VerifiedTokenCache<Verification>(settings.cacheSize);
  let indexedKeyring: Keyring | undefined;
  let fingerprint = "";

  function selectKey(header: JWSHeaderParameters, index: KeyringIndex): KeyRecord {
    for (const name of FORBIDDEN_HEADERS)
      if (name in header) throw new Refused("header_not_allowed");
    let key: KeyRecord | undefined;
    if (!("kid" in header)) {
      key = index.legacy;
      if (key === undefined) throw new Refused("kid_missing");
    } else {
      const kid = header.kid;
      if (typeof kid !== "string" || !KID_PATTERN.test(kid)) throw new Refused("kid_invalid");
      key = index.byKid.get(kid);
      if (key === undefined) throw new Refused("unknown_kid");
    }
    if (!isVerifying(key.status))
      throw new Refused(key.compromised ? "key_compromised" : "key_retired");
    if (header.alg !== key.alg) throw new Refused("alg_not_allowed");
    return key;
  }

  async function verify(token: unknown, keyring: Keyring, nowMs: number): Promise<Verification> {
    if (typeof token !== "string" || token === "") return refuse("malformed");
    if (token.length > settings.maxTokenLength) return refuse("token_too_large");
    const index = indexKeyring(keyring);
    if (keyring !== indexedKeyring) {
      indexedKeyring = keyring;
      cryptoKeys.retain(index.kids);
      if (index.fingerprint !== fingerprint) {
        fingerprint = index.fingerprint;
        cache.clear();
      }
    }
    const cached = cache.get(token, nowMs);
    if (cached !== undefined) return cached;

    let key: KeyRecord | undefined;
    let verified: { payload: Uint8Array; protectedHeader: JWSHeaderParameters };
    try {
      verified = await compactVerify(
        token,
        (header) => {
          key = selectKey(header, index);
          return cryptoKeys.get(key, "verify");
        },
        { algorithms: JOSE_ALGORITHMS },
      );
    } catch (error) {
      return refuse(reasonFor(error));
    }
    if (key === undefined || !isVerifying(key.status)) return refuse("unknown_kid");

    const payload = parsePayload(verified.payload);
    if (payload === undefined) return refuse("malformed");
    if (
      settings.type !== undefined &&
      normalizeType(verified.protectedHeader.typ) !== settings.type
    ) {
      return refuse("type_mismatch");
    }
    const legacy = !("kid" in verified.protectedHeader);
    const checked = validateClaims(payload, nowMs, {
      clockToleranceSeconds: settings.clockToleranceSeconds,
      requireIssuedClaims: !legacy,
      ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
      ...(settings.audience === undefined ? {} : { audience: settings.audience }),
    });
    if (!checked.ok) return checked;
    const result: Verification = {
      ok: true,
      claims: checked.claims,
      kid: key.kid,
      keyStatus: key.status,
      legacy,
    };
    cache.set(token, result, checked.claims.exp * 1000);
    return result;
  }

  return { verify };
}

function reasonFor(error: unknown): RefusalReason {
  if (error instanceof Refused) return error.reason;
  if (error instanceof errors.JOSEError) {
    switch (error.code) {
      case errors.JOSEAlgNotAllowed.code:
        return "alg_not_allowed";
      case errors.JWSSignatureVerificationFailed.code:
        return "signature_invalid";
      case errors.JOSENotSupported.code:
        return "header_not_allowed";
      default:
        return "malformed";
    }
  }
  throw error;
}

function parsePayload(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON: refused as malformed below
  }
  return undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** `typ` compares case-insensitively and without the optional "application/" prefix (RFC 7515). */
function normalizeType(typ: unknown): string | undefined {
  return typeof typ === "string" ? typ.toLowerCase().replace(/^application\//, "") : undefined;
}

function refuse(reason: RefusalReason): Verification {
  return { ok: false, reason };
}

interface Settings {
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly type: string | undefined;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLength: number;
  readonly cacheSize: number;
}

function resolveOptions(options: VerifierOptions): Settings {
  const settings: Settings = {
    issuer: options.issuer,
    audience: options.audience,
    type: normalizeType(options.type),
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
    maxTokenLength: options.maxTokenLength ?? 8192,
    cacheSize: options.cacheSize ?? 10_000,
  };
  const problems: string[] = [];
  for (const name of ["issuer", "audience", "type"] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      problems.push(`${name} must be a non-empty string when set`);
    }
  }
  const { clockToleranceSeconds: tolerance, maxTokenLength: maxLength, cacheSize } = settings;
  if (!Number.isInteger(tolerance) || tolerance < 0 || tolerance > 300) {
    problems.push(`clockToleranceSeconds must be a whole number from 0 to 300, got ${tolerance}`);
  }
  if (!Number.isInteger(maxLength) || maxLength < 256 || maxLength > 65_536) {
    problems.push(`maxTokenLength must be a whole number from 256 to 65536, got ${maxLength}`);
  }
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    problems.push(`cacheSize must be a whole number >= 0, got ${cacheSize}`);
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return settings;
}
