import { compactVerify, errors } from "jose";
import { decodeBase64url } from "../kernel/base64url.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import {
  isEncryption,
  isVerifying,
  type KeyRecord,
  KID_PATTERN,
  type VerifyingStatus,
} from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { type ClaimExpectations, type TokenClaims, validateClaims } from "./claims.ts";
import { CryptoKeyCache } from "./crypto-keys.ts";
import type { AsyncDirectCheck } from "./direct-webcrypto.ts";
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
  /**
   * Tokens that live longer (exp - iat) are refused as `lifetime_exceeded`: revocation cut-offs
   * live this long. Default 86,400 (KEYWARD_MAX_TOKEN_LIFETIME_SECONDS).
   */
  readonly maxLifetimeSeconds?: number;
  /** Tokens longer than this many characters are refused before parsing. Default 8192. */
  readonly maxTokenLength?: number;
  /** Entries in the verified-token cache; 0 disables it. Default 10,000. */
  readonly cacheSize?: number;
  /**
   * Signatures checked before jose (it answers undefined for an algorithm it leaves to jose).
   * Default none: jose's `compactVerify` (WebCrypto, any runtime); Node verifiers pass
   * `directNode()` (`direct.ts`), which decides the same.
   */
  readonly direct?: DirectCheck;
  /**
   * The same, where the check answers with a promise (`directWebCrypto()`, for the edge): tried
   * after `direct`, before jose.
   */
  readonly directAsync?: AsyncDirectCheck;
}

/**
 * A compact JWS's signature checked with the chosen key (its header already read and checked by
 * the verifier): the payload's bytes, why the token is refused, or undefined when this check
 * leaves the key's algorithm to jose.
 */
export type DirectCheck = (token: string, key: KeyRecord) => DirectResult | undefined;

export type DirectResult =
  | { readonly ok: true; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: "malformed" | "signature_invalid" };

export type Verification =
  | {
      readonly ok: true;
      readonly claims: TokenClaims;
      readonly kid: string;
      readonly keyStatus: VerifyingStatus;
      /** Verified through the imported legacy key without a `kid` (the legacy system's shape). */
      readonly legacy: boolean;
    }
  | {
      readonly ok: false;
      readonly reason: RefusalReason;
      /**
       * Set on `key_retired` / `key_compromised` when the token claims (unverified) an `exp` still
       * in the future: a token the rotation refused, not one that had expired anyway. The journal
       * counts these per key.
       */
      readonly kid?: string;
    };

/** A token's header, as parsed (frozen, shared by every token with the same header). */
type Header = Readonly<Record<string, unknown>>;

/**
 * A header with what choosing a key needs from it, decided once per header segment rather than
 * once per token: the kid it names (undefined without one: the legacy key's shape), or why it
 * can name no key.
 */
interface ParsedHeader {
  readonly fields: Header;
  readonly kid: string | undefined;
  readonly refusal: "header_not_allowed" | "kid_invalid" | undefined;
}

/** A token whose shape, header and key are checked: its signature comes next. */
interface Checking {
  readonly token: string;
  readonly header: ParsedHeader;
  readonly key: KeyRecord;
}

export interface TokenVerifier {
  /** Never throws on bad input: every token gets an allow or a refusal with one reason. */
  verify(token: unknown, keyring: Keyring, nowMs: number): Promise<Verification>;
  /**
   * The same decision, given at once where nothing has to be awaited (an earlier step decides, or
   * the direct check covers the key), else as a promise: the hot path's form, which reads the
   * token once either way.
   */
  decide(token: unknown, keyring: Keyring, nowMs: number): Verification | Promise<Verification>;
  /** Imports the keys that verify, ahead of the first token (a Lambda's init phase). */
  prepare(keyring: Keyring): Promise<void>;
}

/**
 * Headers that would let a token choose its own key or change how it is read. `crit` is refused
 * whatever it lists: keyward understands no extension.
 */
const FORBIDDEN_HEADERS = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"];

export function createVerifier(options: VerifierOptions = {}): TokenVerifier {
  const settings = resolveOptions(options);
  const cryptoKeys = new CryptoKeyCache();
  const cache = new VerifiedTokenCache<Verification>(settings.cacheSize);
  const parsedHeaders = new Map<string, ParsedHeader>();
  const expectIssued: ClaimExpectations = {
    clockToleranceSeconds: settings.clockToleranceSeconds,
    requireIssuedClaims: true,
    maxLifetimeSeconds: settings.maxLifetimeSeconds,
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    ...(settings.audience === undefined ? {} : { audience: settings.audience }),
  };
  const expectLegacy: ClaimExpectations = { ...expectIssued, requireIssuedClaims: false };
  let indexedKeyring: Keyring | undefined;
  let fingerprint = "";

  /**
   * Everything before the signature: the token's shape, the cache, the header, the key. A
   * decision, or the key whose signature check comes next.
   */
  function before(token: unknown, keyring: Keyring, nowMs: number): Verification | Checking {
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

    // The key is chosen from the header before any cryptography, and handed to jose directly with
    // the key's own algorithm as the only one allowed.
    const parsed = readHeader(token, parsedHeaders);
    if (parsed === undefined) return refuse("malformed");
    const key = selectKey(parsed, index);
    if (typeof key === "string") return refuse(key);
    if (!isVerifying(key.status)) {
      const reason = key.compromised ? "key_compromised" : "key_retired";
      return claimsUnexpired(token, nowMs) ? { ok: false, reason, kid: key.kid } : refuse(reason);
    }
    // A sealing key (A256GCM) never verifies a token, whatever a header claims.
    if (parsed.fields.alg !== key.alg || isEncryption(key.alg)) return refuse("alg_not_allowed");
    return { token, header: parsed, key };
  }

  /** Everything after the signature checked out: the payload, the type, the claims; cached. */
  function after(checking: Checking, verified: Uint8Array, nowMs: number): Verification {
    const { token, header, key } = checking;
    const payload = parsePayload(verified);
    if (payload === undefined) return refuse("malformed");
    if (settings.type !== undefined && normalizeType(header.fields.typ) !== settings.type) {
      return refuse("type_mismatch");
    }
    const legacy = header.kid === undefined;
    const checked = validateClaims(payload, nowMs, legacy ? expectLegacy : expectIssued);
    if (!checked.ok) return checked;
    const result: Verification = {
      ok: true,
      claims: checked.claims,
      kid: key.kid,
      keyStatus: key.status as VerifyingStatus,
      legacy,
    };
    cache.set(token, result, checked.claims.exp * 1000);
    return result;
  }

  function decide(
    token: unknown,
    keyring: Keyring,
    nowMs: number,
  ): Verification | Promise<Verification> {
    const checking = before(token, keyring, nowMs);
    if ("ok" in checking) return checking;
    const signed = settings.direct?.(checking.token, checking.key);
    if (signed !== undefined) return signedThen(checking, signed, nowMs);
    return signedLater(checking, nowMs);
  }

  /** A direct check's answer: on to the payload, or refused for what it found. */
  function signedThen(checking: Checking, signed: DirectResult, nowMs: number): Verification {
    return signed.ok ? after(checking, signed.payload, nowMs) : refuse(signed.reason);
  }

  /** The signature checked with a promise: WebCrypto's directly (the edge), or jose's. */
  async function signedLater(checking: Checking, nowMs: number): Promise<Verification> {
    const { key } = checking;
    const signed = await settings.directAsync?.(checking.token, key);
    if (signed !== undefined) return signedThen(checking, signed, nowMs);
    let verified: Uint8Array;
    try {
      const cryptoKey = cryptoKeys.ready(key, "verify") ?? (await cryptoKeys.get(key, "verify"));
      verified = (await compactVerify(checking.token, cryptoKey, { algorithms: [key.alg] }))
        .payload;
    } catch (error) {
      return refuse(reasonFor(error));
    }
    return after(checking, verified, nowMs);
  }

  async function verify(token: unknown, keyring: Keyring, nowMs: number): Promise<Verification> {
    return decide(token, keyring, nowMs);
  }

  async function prepare(keyring: Keyring): Promise<void> {
    await Promise.all(
      keyring.keys
        .filter((key) => isVerifying(key.status))
        .map((key) => cryptoKeys.get(key, "verify")),
    );
  }

  return { verify, decide, prepare };
}

/**
 * The protected header of a compact JWS of exactly three segments, or undefined. Parsed headers
 * are kept by their encoded form: every token of one key carries the same header segment, so this
 * saves decoding and checking it for each token; capped, since anyone can send new headers.
 */
function readHeader(token: string, parsed: Map<string, ParsedHeader>): ParsedHeader | undefined {
  const first = token.indexOf(".");
  const second = first < 1 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) !== -1) return undefined;
  const segment = token.slice(0, first);
  const known = parsed.get(segment);
  if (known !== undefined) return known;
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if (parsed.size >= MAX_PARSED_HEADERS) parsed.clear();
  const header = parseHeader(Object.freeze(value as Record<string, unknown>));
  parsed.set(segment, header);
  return header;
}

/** What a header says about its key: headers that would change how the token is read, then the kid. */
function parseHeader(fields: Header): ParsedHeader {
  for (const name of FORBIDDEN_HEADERS)
    if (name in fields) return { fields, kid: undefined, refusal: "header_not_allowed" };
  if (!("kid" in fields)) return { fields, kid: undefined, refusal: undefined };
  const kid = fields.kid;
  return typeof kid === "string" && KID_PATTERN.test(kid)
    ? { fields, kid, refusal: undefined }
    : { fields, kid: undefined, refusal: "kid_invalid" };
}

const MAX_PARSED_HEADERS = 256;

/** The key a token with this header names (verifying or not), or why there is none. */
function selectKey(header: ParsedHeader, index: KeyringIndex): KeyRecord | RefusalReason {
  if (header.refusal !== undefined) return header.refusal;
  if (header.kid === undefined) return index.legacy ?? "kid_missing";
  return index.byKid.get(header.kid) ?? "unknown_kid";
}

/** Whether the payload, read without verifying it, names an `exp` after `nowMs`. */
function claimsUnexpired(token: string, nowMs: number): boolean {
  const start = token.indexOf(".") + 1;
  const bytes = decodeBase64url(token.slice(start, token.indexOf(".", start)));
  if (bytes === undefined) return false;
  const payload = parsePayload(bytes);
  return typeof payload?.exp === "number" && payload.exp * 1000 > nowMs;
}

function reasonFor(error: unknown): RefusalReason {
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
  readonly maxLifetimeSeconds: number;
  readonly maxTokenLength: number;
  readonly cacheSize: number;
  readonly direct: DirectCheck | undefined;
  readonly directAsync: AsyncDirectCheck | undefined;
}

function resolveOptions(options: VerifierOptions): Settings {
  const settings: Settings = {
    issuer: options.issuer,
    audience: options.audience,
    type: normalizeType(options.type),
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 86_400,
    maxTokenLength: options.maxTokenLength ?? 8192,
    cacheSize: options.cacheSize ?? 10_000,
    direct: options.direct,
    directAsync: options.directAsync,
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
  if (!Number.isInteger(settings.maxLifetimeSeconds) || settings.maxLifetimeSeconds < 1) {
    problems.push(
      `maxLifetimeSeconds must be a whole number >= 1, got ${settings.maxLifetimeSeconds}`,
    );
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
