import type { JWK } from "jose";
import { decodeBase64url } from "../kernel/base64url.ts";
import {
  isEncryption,
  isKmsAlgorithm,
  isVerifying,
  type KeyRecord,
  KID_PATTERN,
  KMS_KEY_ARN,
} from "./key.ts";
import type { Keyring } from "./keyring.ts";

export const MIN_HMAC_BYTES = 32;
/** AES-256: a 256-bit key, neither more nor less. */
export const AES_KEY_BYTES = 32;
export const MIN_RSA_BITS = 2048;

/**
 * Every rule a keyring must satisfy, checked on load and after every transition. Returns one
 * message per broken rule, each naming the key and the rule; an empty list means valid.
 */
export function keyringProblems(keyring: Keyring): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const key of keyring.keys) {
    seen.set(key.kid, (seen.get(key.kid) ?? 0) + 1);
    for (const problem of keyProblems(key)) problems.push(`key ${key.kid}: ${problem}`);
  }
  for (const [kid, count] of seen) {
    if (count > 1) problems.push(`keyring has ${count} keys with kid ${kid}`);
  }
  // A signing keyring never seals and a sessions keyring never signs: one kind per keyring.
  const kinds = new Set(keyring.keys.map((key) => (isEncryption(key.alg) ? "sealing" : "signing")));
  if (kinds.size > 1) problems.push("keyring mixes signing and sealing (A256GCM) keys");
  const current = keyring.keys.filter((key) => key.status === "current").length;
  if (current !== 1) {
    problems.push(
      current === 0 ? "keyring has no current key" : `keyring has ${current} current keys`,
    );
  }
  const legacyVerifiers = keyring.keys.filter((key) => key.legacy && isVerifying(key.status));
  if (legacyVerifiers.length > 1) {
    problems.push(
      `keyring has ${legacyVerifiers.length} legacy keys that verify; at most one may verify tokens without kid`,
    );
  }
  if (keyring.rollout !== undefined) {
    const { kid, percent } = keyring.rollout;
    const target = keyring.keys.find((key) => key.kid === kid);
    if (target === undefined)
      problems.push(`rollout names key ${kid}, which is not in the keyring`);
    else if (target.status !== "pending") {
      problems.push(`rollout names key ${kid}, which is ${target.status}, not pending`);
    }
    if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
      problems.push(`rollout percent must be an integer from 1 to 99, got ${percent}`);
    }
  }
  return problems;
}

function keyProblems(key: KeyRecord): string[] {
  const problems: string[] = [];
  if (!KID_PATTERN.test(key.kid)) {
    problems.push("kid must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -");
  }
  if (key.compromised && key.status !== "retired" && key.status !== "destroyed") {
    problems.push(`a compromised key must be retired or destroyed, not ${key.status}`);
  }
  if (key.legacy && key.alg !== "HS256" && key.alg !== "A256GCM")
    problems.push("only HS256 and A256GCM keys can be legacy imports");
  if (key.verifyOnly && (key.status === "current" || key.status === "pending")) {
    problems.push(`a verify-only key never signs, so it cannot be ${key.status}`);
  }
  if (key.kms !== undefined) {
    if (!isKmsAlgorithm(key.alg)) problems.push(`a KMS key is ES256 or RS256, not ${key.alg}`);
    if (!KMS_KEY_ARN.test(key.kms.arn)) problems.push("kms.arn must be a KMS key ARN");
    if (key.jwk?.d !== undefined)
      problems.push("a KMS key holds its public half only: its private key never leaves KMS");
  }
  const stamp = REQUIRED_TIMESTAMP[key.status];
  if (stamp !== undefined && key[stamp] === undefined) {
    problems.push(`a ${key.status} key must have ${stamp}`);
  }
  if (key.status === "destroyed") {
    if (key.jwk !== undefined) problems.push("a destroyed key must not hold material");
    return problems;
  }
  if (key.jwk === undefined) {
    problems.push("material is missing");
    return problems;
  }
  problems.push(...materialProblems(key, key.jwk));
  return problems;
}

const REQUIRED_TIMESTAMP = {
  pending: undefined,
  current: "activatedAt",
  previous: "deactivatedAt",
  retired: "retiredAt",
  destroyed: "destroyedAt",
} as const;

const SIGNING_OPS = new Set(["sign", "verify"]);

function materialProblems(key: KeyRecord, jwk: JWK): string[] {
  const problems: string[] = [];
  const encryption = isEncryption(key.alg);
  if (jwk.use !== undefined && jwk.use !== (encryption ? "enc" : "sig")) {
    problems.push(
      `use is ${JSON.stringify(jwk.use)}, a ${encryption ? "sealing" : "signing"} key must have "${encryption ? "enc" : "sig"}"`,
    );
  }
  if (jwk.key_ops !== undefined && !encryption) {
    const ops = Array.isArray(jwk.key_ops) ? jwk.key_ops : [jwk.key_ops];
    if (ops.length === 0 || ops.some((op) => !SIGNING_OPS.has(op as string))) {
      problems.push(`key_ops ${JSON.stringify(jwk.key_ops)} must be only "sign" and "verify"`);
    }
  }
  if (jwk.alg !== undefined && jwk.alg !== key.alg) {
    problems.push(`material is for ${jwk.alg}, the key is ${key.alg}`);
  }
  if (jwk.kid !== undefined && jwk.kid !== key.kid) {
    problems.push(`material names kid ${jwk.kid}`);
  }
  switch (key.alg) {
    case "A256GCM": {
      const bytes = jwk.kty === "oct" ? decodeBase64url(jwk.k) : undefined;
      if (jwk.kty !== "oct") problems.push(`A256GCM material must be an "oct" JWK, got ${jwk.kty}`);
      else if (bytes?.length !== AES_KEY_BYTES)
        problems.push(`A256GCM material must decode to exactly ${AES_KEY_BYTES} bytes`);
      break;
    }
    case "HS256": {
      const bytes = jwk.kty === "oct" ? decodeBase64url(jwk.k) : undefined;
      if (jwk.kty !== "oct") problems.push(`HS256 material must be an "oct" JWK, got ${jwk.kty}`);
      else if (bytes === undefined) problems.push("HS256 material is not base64url");
      else if (bytes.length === 0 || (bytes.length < MIN_HMAC_BYTES && !key.verifyOnly)) {
        problems.push(`HS256 material must decode to at least ${MIN_HMAC_BYTES} bytes`);
      }
      break;
    }
    case "ES256":
      problems.push(...curveProblems(jwk, "EC", "P-256", ["x", "y"], 32));
      break;
    case "EdDSA":
      problems.push(...curveProblems(jwk, "OKP", "Ed25519", ["x"], 32));
      break;
    case "RS256": {
      if (jwk.kty !== "RSA") {
        problems.push(`RS256 material must be an "RSA" JWK, got ${jwk.kty}`);
        break;
      }
      const modulus = decodeBase64url(jwk.n);
      if (modulus === undefined || decodeBase64url(jwk.e) === undefined) {
        problems.push("RSA material needs base64url n and e");
        break;
      }
      const bits = bitLength(modulus);
      if (bits < MIN_RSA_BITS) {
        problems.push(`RSA modulus is ${bits} bits, at least ${MIN_RSA_BITS} are required`);
      }
      break;
    }
  }
  return problems;
}

function curveProblems(
  jwk: JWK,
  kty: string,
  crv: string,
  coordinates: readonly ("x" | "y")[],
  size: number,
): string[] {
  if (jwk.kty !== kty || jwk.crv !== crv) {
    return [`material must be a ${kty} JWK on ${crv}, got ${jwk.kty} ${jwk.crv ?? ""}`.trim()];
  }
  const problems: string[] = [];
  for (const member of [...coordinates, ...(jwk.d === undefined ? [] : ["d" as const])]) {
    if (decodeBase64url(jwk[member])?.length !== size) {
      problems.push(`${crv} material member ${member} must decode to ${size} bytes`);
    }
  }
  return problems;
}

function bitLength(bigEndian: Uint8Array): number {
  let index = 0;
  while (index < bigEndian.length && bigEndian[index] === 0) index++;
  const first = bigEndian[index];
  if (first === undefined) return 0;
  return (bigEndian.length - index - 1) * 8 + (32 - Math.clz32(first));
}
