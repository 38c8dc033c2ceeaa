import type { JWK } from "jose";
import type { Environment, EnvReader } from "../config/env.ts";
import {
  type AwsJsonOptions,
  awsJsonCaller,
  awsJsonOptionsFromEnvironment,
} from "../http/aws-json.ts";
import type { HttpTransport } from "../http/transport.ts";
import { encodeBase64url } from "../kernel/base64url.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { KeywardError } from "../kernel/errors.ts";
import type { KmsAlgorithm } from "../keyring/key.ts";

const KMS = { service: "kms", target: "TrentService", name: "KMS" };

/** A KMS call failed or did not answer in time; `awsType` is AWS's error type, e.g. DisabledException. */
export class KmsUnavailable extends KeywardError {
  override readonly code = "kms_unavailable";
  constructor(
    message: string,
    readonly awsType?: string,
  ) {
    super(message);
  }
}

/** ES256 signatures by KMS are DER; a JWS holds `r‖s`, 32 bytes each. */
const P256_SIZE = 32;

/**
 * Each algorithm a key held in KMS signs with (`KMS_ALGORITHMS`): its KMS key spec, signing
 * algorithm and WebCrypto import. ES256 on P-256 is the default.
 */
const KMS_ALGORITHM: Record<
  KmsAlgorithm,
  { keySpec: string; signing: string; import: Parameters<typeof crypto.subtle.importKey>[2] }
> = {
  ES256: {
    keySpec: "ECC_NIST_P256",
    signing: "ECDSA_SHA_256",
    import: { name: "ECDSA", namedCurve: "P-256" },
  },
  RS256: {
    keySpec: "RSA_2048",
    signing: "RSASSA_PKCS1_V1_5_SHA_256",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  },
};

/** The longest message KMS signs as it is (`MessageType: RAW`). */
const KMS_RAW_LIMIT = 4096;

/**
 * Asymmetric signing keys that never leave AWS KMS (ES256, RS256), over SigV4-signed
 * HTTP like the Secrets Manager reader: the same code in Node and Workers, no SDK to load. Only
 * `Sign` and `GetPublicKey` are needed to sign and verify; the lifecycle's calls (create, disable,
 * enable, schedule deletion) are the rotation function's, which IAM alone allows them. No call
 * here asks for private material: KMS has none to give.
 */
export class KmsKeys {
  readonly #options: AwsJsonOptions;
  readonly #callers = new Map<string, (operation: string, payload: unknown) => Promise<unknown>>();
  readonly #clock: Clock;

  constructor(options: AwsJsonOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * A call in the region of the key it names (an issuer beside a replica signs with the home
   * region's keys), or in the configured one for CreateKey.
   */
  #call(
    operation: string,
    payload: { readonly KeyId?: string; readonly [field: string]: unknown },
    keyArn = payload.KeyId,
  ): Promise<unknown> {
    const region = regionOf(keyArn) ?? this.#options.region;
    let call = this.#callers.get(region);
    if (call === undefined) {
      call = awsJsonCaller(
        KMS,
        { ...this.#options, region },
        (message, type) => new KmsUnavailable(message, type),
      );
      this.#callers.set(region, call);
    }
    return call(operation, payload);
  }

  /** A new signing key for `alg`, tagged (its keyring, its owner); answers its ARN. */
  async create(
    description: string,
    tags: Readonly<Record<string, string>>,
    alg: KmsAlgorithm = "ES256",
  ): Promise<string> {
    const answer = (await this.#call("CreateKey", {
      KeySpec: KMS_ALGORITHM[alg].keySpec,
      KeyUsage: "SIGN_VERIFY",
      Description: description,
      Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
    })) as { KeyMetadata?: { Arn?: string } };
    const arn = answer.KeyMetadata?.Arn;
    if (typeof arn !== "string") throw new KmsUnavailable("KMS CreateKey answered no key ARN");
    return arn;
  }

  /**
   * The key's public half as a JWK (`kid`, `alg`, `use: sig`): what verifiers hold. Its `alg`
   * follows the key's spec, which must be one keyward signs with.
   */
  async publicJwk(keyArn: string, kid: string): Promise<JWK> {
    const answer = (await this.#call("GetPublicKey", { KeyId: keyArn })) as {
      PublicKey?: string;
      KeySpec?: string;
      CustomerMasterKeySpec?: string;
    };
    // KMS answers both names of the spec; the older one alone from some emulators.
    const spec = answer.KeySpec ?? answer.CustomerMasterKeySpec;
    const alg = (Object.keys(KMS_ALGORITHM) as KmsAlgorithm[]).find(
      (name) => KMS_ALGORITHM[name].keySpec === spec,
    );
    if (alg === undefined || typeof answer.PublicKey !== "string")
      throw new KmsUnavailable(`KMS key ${keyArn} is neither an ECC_NIST_P256 nor an RSA_2048 key`);
    const key = await crypto.subtle.importKey(
      "spki",
      decodeBase64(answer.PublicKey),
      KMS_ALGORITHM[alg].import,
      true,
      ["verify"],
    );
    const { kty, crv, x, y, n, e } = await crypto.subtle.exportKey("jwk", key);
    const half = alg === "ES256" ? { kty, crv, x, y } : { kty, n, e };
    return { ...half, kid, alg, use: "sig" } as JWK;
  }

  /**
   * The signature of a JWS signing input (`header.payload`) as JWS holds it: for ES256 the DER
   * answer converted to `r‖s`, for RS256 the answer as it is. Up to KMS's 4,096 bytes the input
   * goes as it is (`MessageType: RAW`; KMS hashes it with the same SHA-256); a longer one is
   * hashed here and only its digest sent (`DIGEST`).
   * RAW first because moto, which the tests run against, ignores `DIGEST` and hashes the digest
   * again (getmoto/moto#10202): a token of any usual size is signed the way the tests prove.
   */
  async sign(keyArn: string, signingInput: string, alg: KmsAlgorithm = "ES256"): Promise<string> {
    const bytes = new TextEncoder().encode(signingInput);
    const raw = bytes.length <= KMS_RAW_LIMIT;
    const message = raw ? bytes : new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const answer = (await this.#call("Sign", {
      KeyId: keyArn,
      Message: encodeBase64(message),
      MessageType: raw ? "RAW" : "DIGEST",
      SigningAlgorithm: KMS_ALGORITHM[alg].signing,
    })) as { Signature?: string };
    if (typeof answer.Signature !== "string")
      throw new KmsUnavailable("KMS Sign answered no signature");
    const signature = decodeBase64(answer.Signature);
    // An RSA signature is JWS's as it is; an ECDSA one comes as DER.
    return encodeBase64url(alg === "RS256" ? signature : derToJose(signature));
  }

  /** The key's state as KMS says it: `Enabled`, `Disabled`, `PendingDeletion`, … */
  async state(keyArn: string): Promise<string> {
    const answer = (await this.#call("DescribeKey", { KeyId: keyIdOf(keyArn) }, keyArn)) as {
      KeyMetadata?: { KeyState?: string };
    };
    return answer.KeyMetadata?.KeyState ?? "Unknown";
  }

  /** Reversible: a retired key signs nothing, and a rollback or reinstate enables it again. */
  async disable(keyArn: string): Promise<void> {
    await this.#call("DisableKey", { KeyId: keyIdOf(keyArn) }, keyArn);
  }

  async enable(keyArn: string): Promise<void> {
    await this.#call("EnableKey", { KeyId: keyIdOf(keyArn) }, keyArn);
  }

  /**
   * Destruction as KMS allows it: deletion after the shortest window (7 days). Answers when the
   * material is gone, for the journal.
   */
  async scheduleDeletion(keyArn: string): Promise<number> {
    const answer = (await this.#call(
      "ScheduleKeyDeletion",
      { KeyId: keyIdOf(keyArn), PendingWindowInDays: 7 },
      keyArn,
    )) as { DeletionDate?: number };
    return typeof answer.DeletionDate === "number"
      ? Math.round(answer.DeletionDate * 1000)
      : this.#clock.now() + 7 * 86_400_000;
  }
}

/** The region an ARN names (`arn:aws:kms:<region>:…`); undefined for a bare key id. */
const regionOf = (keyId: string | undefined): string | undefined =>
  keyId?.startsWith("arn:") ? keyId.split(":")[3] || undefined : undefined;

/**
 * The key id an ARN ends with. The lifecycle's calls send it: KMS takes an ARN or an id alike in
 * its own account, and moto only the id there.
 */
const keyIdOf = (keyArn: string): string => keyArn.slice(keyArn.lastIndexOf("/") + 1);

/** Standard base64, as KMS's JSON API carries bytes. */
function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/**
 * An ECDSA signature from DER (`SEQUENCE { INTEGER r, INTEGER s }`, each with a leading zero when
 * its high bit is set, or shorter when it has leading zeros) to JWS's fixed-size `r‖s`.
 */
export function derToJose(der: Uint8Array, size = P256_SIZE): Uint8Array {
  const fail = () => {
    throw new KmsUnavailable("KMS answered a signature that is not DER ECDSA");
  };
  let at = 0;
  const byte = () => (at < der.length ? (der[at++] as number) : fail());
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) return fail();
    return byte();
  };
  if (byte() !== 0x30) return fail();
  if (length() !== der.length - at) return fail();
  const out = new Uint8Array(2 * size);
  for (const half of [0, 1]) {
    if (byte() !== 0x02) return fail();
    const n = length();
    let value = der.subarray(at, at + n);
    at += n;
    if (value.length !== n) return fail();
    while (value.length > size && value[0] === 0) value = value.subarray(1);
    if (value.length > size) return fail();
    out.set(value, half * size + size - value.length);
  }
  if (at !== der.length) return fail();
  return out;
}

/** The KMS keys of this environment: region, endpoint (`AWS_ENDPOINT_URL_KMS`) and credentials. */
export function kmsFromEnvironment(env: Environment, transport?: HttpTransport): KmsKeys {
  return new KmsKeys(
    awsJsonOptionsFromEnvironment(
      env,
      "AWS_ENDPOINT_URL_KMS",
      (message) => new KmsUnavailable(message),
      transport,
    ),
  );
}

/**
 * `kmsFromEnvironment`, made at its first use: a process whose keys are not in KMS (a keyring
 * without such a key, a teardown with none to delete) never needs AWS credentials for it.
 */
export function kmsOnFirstUse(env: Environment): () => KmsKeys {
  let kms: KmsKeys | undefined;
  return () => {
    kms ??= kmsFromEnvironment(env);
    return kms;
  };
}

/**
 * The KMS that new signing keys are made in when `where` (`KEYWARD_SIGNING_KEYS`) says `kms`; a
 * missing region or credentials is one of `read`'s problems, reported with the others.
 */
export function readSigningKms(
  read: EnvReader,
  env: Environment,
  where: "keyring" | "kms",
): KmsKeys | undefined {
  if (where !== "kms") return undefined;
  try {
    return kmsFromEnvironment(env);
  } catch (error) {
    if (!(error instanceof KmsUnavailable)) throw error;
    read.problem(`KEYWARD_SIGNING_KEYS=kms: ${error.message}`);
    return undefined;
  }
}
