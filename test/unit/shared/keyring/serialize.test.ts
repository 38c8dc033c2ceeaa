import { describe, expect, it } from "vitest";
import { encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import { KeyringInvalid } from "../../../../shared/kernel/errors.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import {
  parseKeyring,
  type SerializedKeyring,
  serializeKeyring,
  toSerialized,
} from "../../../../shared/keyring/serialize.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring, withPending } from "../../../support/keyrings.ts";

const random = seededRandom("serialize");

/** A valid stored keyring with an HS256 current key (kid "k1") and an ES256 pending key ("k2"). */
async function stored(): Promise<SerializedKeyring> {
  const keyring = await withPending(await newKeyring("HS256"), "ES256", T0 + 1000, random);
  const serialized = toSerialized(keyring);
  serialized.keys[0]!.kid = "k1";
  serialized.keys[1]!.kid = "k2";
  return serialized;
}

function problemsOf(input: unknown): readonly string[] {
  try {
    parseKeyring(input);
  } catch (error) {
    if (error instanceof KeyringInvalid) return error.problems;
    throw error;
  }
  throw new Error("expected the keyring to be refused");
}

describe("serializeKeyring / parseKeyring", () => {
  it("round-trips every field of every key", async () => {
    const keyring = await withPending(await newKeyring("EdDSA"), "RS256", T0 + 5, random);
    const text = serializeKeyring(keyring);
    expect(parseKeyring(text)).toEqual(keyring);
    expect(JSON.parse(text)).toMatchObject({ schema: 1, updatedAt: "2026-01-01T00:00:00.005Z" });
  });

  it("round-trips a key held in KMS: its ARN and its public half, no private key", async () => {
    const value = await stored();
    const { d: _, ...publicHalf } = value.keys[1]!.jwk!;
    value.keys[1] = {
      ...value.keys[1]!,
      jwk: publicHalf,
      kms: { arn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
    };
    const keyring = parseKeyring(value);
    expect(keyring.keys[1]).toMatchObject({
      alg: "ES256",
      kms: { arn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
    });
    expect(parseKeyring(serializeKeyring(keyring))).toEqual(keyring);
  });

  it("accepts the parsed JSON value as well as the text", async () => {
    const value = await stored();
    expect(parseKeyring(value).keys.map((k) => k.kid)).toEqual(["k1", "k2"]);
  });
});

describe("parseKeyring refuses, naming the key and the rule", () => {
  const cases: [string, (s: SerializedKeyring) => unknown, string][] = [
    ["text that is not JSON", () => "{nope", "keyring is not valid JSON"],
    ["a JSON array", () => [], "keyring must be a JSON object"],
    [
      "another schema",
      (s) => ({ ...s, schema: 2 }),
      "keyring schema 2 is not supported (expected 1)",
    ],
    [
      "a missing schema",
      ({ schema: _, ...s }) => s,
      "keyring schema undefined is not supported (expected 1)",
    ],
    ["an unknown top-level field", (s) => ({ ...s, extra: 1 }), "keyring has unknown field extra"],
    [
      "a negative revision",
      (s) => ({ ...s, revision: -1 }),
      "keyring revision must be a non-negative integer",
    ],
    [
      "a bad updatedAt",
      (s) => ({ ...s, updatedAt: "yesterday" }),
      "keyring updatedAt must be an ISO 8601 timestamp",
    ],
    ["keys that are not an array", (s) => ({ ...s, keys: {} }), "keyring keys must be an array"],
    [
      "a key that is not an object",
      (s) => ({ ...s, keys: [s.keys[0], 7] }),
      "key #2: must be a JSON object",
    ],
    ["a key without kid", (s) => withKey(s, 0, { kid: undefined }), "key #1: kid is missing"],
    [
      "an unknown key field",
      (s) => withKey(s, 0, { colour: "red" }),
      "key k1: unknown field colour",
    ],
    [
      "an unknown algorithm",
      (s) => withKey(s, 0, { alg: "HS512" }),
      'key k1: alg "HS512" is not one of HS256, ES256, EdDSA, RS256, A256GCM',
    ],
    [
      "an unknown status",
      (s) => withKey(s, 0, { status: "active" }),
      'key k1: status "active" is not one of pending, current, previous, retired, destroyed',
    ],
    [
      "a KMS key whose material holds a private key",
      (s) =>
        withKey(s, 1, {
          kms: {
            arn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
          },
        }),
      "key k2: a KMS key holds its public half only: its private key never leaves KMS",
    ],
    [
      "a KMS key that is not ES256",
      (s) =>
        withKey(s, 0, {
          kms: {
            arn: "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
          },
        }),
      "key k1: a KMS key is ES256 or RS256, not HS256",
    ],
    [
      "a kms field without an ARN",
      (s) => withKey(s, 0, { kms: "x" }),
      "key k1: kms must be an object with the key's arn",
    ],
    [
      "a non-boolean flag",
      (s) => withKey(s, 0, { compromised: "no" }),
      "key k1: compromised must be true or false",
    ],
    [
      "a missing legacy flag",
      (s) => withKey(s, 0, { legacy: undefined }),
      "key k1: legacy must be true or false",
    ],
    [
      "a jwk that is not an object",
      (s) => withKey(s, 0, { jwk: "secret" }),
      "key k1: jwk must be a JSON object",
    ],
    [
      "a bad createdAt",
      (s) => withKey(s, 0, { createdAt: 1700000000 }),
      "key k1: createdAt must be an ISO 8601 timestamp",
    ],
    [
      "a bad optional timestamp",
      (s) => withKey(s, 0, { retiredAt: "2026-13-45" }),
      "key k1: retiredAt must be an ISO 8601 timestamp",
    ],
    [
      "a malformed rollout",
      (s) => ({ ...s, rollout: { kid: "k2" } }),
      "rollout must be an object with kid, percent and since",
    ],
    [
      "a kid with a path separator",
      (s) => withKey(s, 0, { kid: "../k1" }),
      "key ../k1: kid must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -",
    ],
    [
      "two keys with one kid",
      (s) => withKey(s, 1, { kid: "k1" }),
      "keyring has 2 keys with kid k1",
    ],
    [
      "two current keys",
      (s) => withKey(s, 1, { status: "current", activatedAt: s.updatedAt }),
      "keyring has 2 current keys",
    ],
    ["no current key", (s) => withKey(s, 0, { status: "pending" }), "keyring has no current key"],
    [
      "a current key without activatedAt",
      (s) => withKey(s, 0, { activatedAt: undefined }),
      "key k1: a current key must have activatedAt",
    ],
    [
      "a previous key without deactivatedAt",
      (s) => withKey(s, 1, { status: "previous" }),
      "key k2: a previous key must have deactivatedAt",
    ],
    [
      "a compromised key still verifying",
      (s) => withKey(s, 1, { compromised: true }),
      "key k2: a compromised key must be retired or destroyed, not pending",
    ],
    [
      "a destroyed key with material",
      (s) => withKey(s, 1, { status: "destroyed", destroyedAt: s.updatedAt }),
      "key k2: a destroyed key must not hold material",
    ],
    [
      "a key without material",
      (s) => withKey(s, 1, { jwk: undefined }),
      "key k2: material is missing",
    ],
    [
      "an asymmetric legacy key",
      (s) => withKey(s, 1, { legacy: true }),
      "key k2: only HS256 and A256GCM keys can be legacy imports",
    ],
    [
      "a keyring that mixes signing and sealing keys",
      (s) =>
        withKey(s, 1, {
          alg: "A256GCM",
          jwk: { kty: "oct", k: encodeBase64url(new Uint8Array(32)) },
        }),
      "keyring mixes signing and sealing (A256GCM) keys",
    ],
    [
      "an A256GCM key of another length than 32 bytes",
      (s) =>
        withKey(s, 1, {
          alg: "A256GCM",
          jwk: { kty: "oct", k: encodeBase64url(new Uint8Array(16)) },
        }),
      "key k2: A256GCM material must decode to exactly 32 bytes",
    ],
    [
      "two legacy keys that verify",
      (s) => legacyPair(s),
      "keyring has 2 legacy keys that verify; at most one may verify tokens without kid",
    ],
    [
      "a rollout of an unknown key",
      (s) => ({ ...s, rollout: { kid: "k9", percent: 25, since: s.updatedAt } }),
      "rollout names key k9, which is not in the keyring",
    ],
    [
      "a rollout of the current key",
      (s) => ({ ...s, rollout: { kid: "k1", percent: 25, since: s.updatedAt } }),
      "rollout names key k1, which is current, not pending",
    ],
    [
      "a rollout of 100 %",
      (s) => ({ ...s, rollout: { kid: "k2", percent: 100, since: s.updatedAt } }),
      "rollout percent must be an integer from 1 to 99, got 100",
    ],
  ];

  it.each(cases)("%s", async (_name, mutate, message) => {
    expect(problemsOf(mutate(await stored()))).toContain(message);
  });

  it("lists every problem at once", async () => {
    const s = await stored();
    const broken = withKey(withKey(s, 0, { alg: "none" }), 1, { status: "active", legacy: 3 });
    const problems = problemsOf(broken);
    expect(problems).toEqual([
      'key k1: alg "none" is not one of HS256, ES256, EdDSA, RS256, A256GCM',
      'key k2: status "active" is not one of pending, current, previous, retired, destroyed',
      "key k2: legacy must be true or false",
    ]);
    expect(() => parseKeyring(broken)).toThrow(/^keyring is invalid: key k1: alg "none"/);
  });

  it("never repeats key material in its messages", async () => {
    const s = await stored();
    const secret = s.keys[0]!.jwk!.k!;
    const broken = withKey(s, 0, { jwk: { kty: "oct", k: secret.slice(0, 20) } });
    const problems = problemsOf(broken);
    expect(problems).toEqual(["key k1: HS256 material must decode to at least 32 bytes"]);
    expect(problems.join()).not.toContain(secret.slice(0, 20));
  });
});

describe("an unsafe keyring is refused at load", () => {
  const material: [string, Record<string, unknown>, string][] = [
    [
      "HMAC material under 32 bytes",
      { kty: "oct", k: "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0" },
      "key k1: HS256 material must decode to at least 32 bytes",
    ],
    [
      "empty HMAC material",
      { kty: "oct", k: "" },
      "key k1: HS256 material must decode to at least 32 bytes",
    ],
    [
      "HMAC material that is not base64url",
      { kty: "oct", k: "a+b/c=" },
      "key k1: HS256 material is not base64url",
    ],
    [
      "HMAC material of the wrong kty",
      { kty: "RSA", k: "x" },
      'key k1: HS256 material must be an "oct" JWK, got RSA',
    ],
    [
      "an encryption key (use)",
      { use: "enc" },
      'key k1: use is "enc", a signing key must have "sig"',
    ],
    [
      "an encryption key (key_ops)",
      { key_ops: ["encrypt", "sign"] },
      'key k1: key_ops ["encrypt","sign"] must be only "sign" and "verify"',
    ],
    [
      "material for another algorithm",
      { alg: "HS512" },
      "key k1: material is for HS512, the key is HS256",
    ],
    ["material naming another kid", { kid: "k7" }, "key k1: material names kid k7"],
  ];

  it.each(material)("%s", async (_name, jwk, message) => {
    const s = await stored();
    const merged = "k" in jwk || "kty" in jwk ? jwk : { ...s.keys[0]!.jwk, ...jwk };
    expect(problemsOf(withKey(s, 0, { jwk: merged }))).toContain(message);
  });

  it("an RSA key under 2048 bits", async () => {
    const s = await stored();
    const rsa = toSerialized(await newKeyring("RS256")).keys[0]!;
    const small = { ...rsa, kid: "k1", jwk: { ...rsa.jwk, n: rsa.jwk!.n!.slice(0, 171) } };
    expect(problemsOf({ ...s, keys: [small, s.keys[1]] })).toContain(
      "key k1: RSA modulus is 1024 bits, at least 2048 are required",
    );
  });

  it("an ES256 key on the wrong curve, or with short coordinates", async () => {
    const s = await stored();
    const jwk = s.keys[1]!.jwk!;
    expect(problemsOf(withKey(s, 1, { jwk: { ...jwk, crv: "P-384" } }))).toContain(
      "key k2: material must be a EC JWK on P-256, got EC P-384",
    );
    expect(problemsOf(withKey(s, 1, { jwk: { ...jwk, x: "AAAA" } }))).toContain(
      "key k2: P-256 material member x must decode to 32 bytes",
    );
  });

  it("an EdDSA key that is not Ed25519", async () => {
    const s = toSerialized(await newKeyring("EdDSA"));
    s.keys[0]!.kid = "k1";
    expect(problemsOf(withKey(s, 0, { jwk: { ...s.keys[0]!.jwk, crv: "Ed448" } }))).toContain(
      "key k1: material must be a OKP JWK on Ed25519, got OKP Ed448",
    );
  });

  it("RSA material without a modulus", async () => {
    const s = toSerialized(await newKeyring("RS256"));
    s.keys[0]!.kid = "k1";
    expect(problemsOf(withKey(s, 0, { jwk: { kty: "RSA", e: "AQAB" } }))).toContain(
      "key k1: RSA material needs base64url n and e",
    );
  });

  it("accepts a generated key of every algorithm", async () => {
    for (const alg of ["HS256", "ES256", "EdDSA", "RS256"] as const) {
      const key = await generateKey(alg, T0, random);
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(() =>
        parseKeyring(
          serializeKeyring({
            schema: 1,
            revision: 1,
            updatedAt: T0,
            keys: [{ ...key, status: "current", activatedAt: T0 }],
          }),
        ),
      ).not.toThrow();
    }
  });
});

function withKey(
  s: SerializedKeyring,
  index: number,
  changes: Record<string, unknown>,
): SerializedKeyring {
  const keys = s.keys.map((key, i) => {
    if (i !== index) return key;
    const next: Record<string, unknown> = { ...key, ...changes };
    for (const [field, value] of Object.entries(changes))
      if (value === undefined) delete next[field];
    return next;
  });
  return { ...s, keys } as SerializedKeyring;
}

function legacyPair(s: SerializedKeyring): SerializedKeyring {
  const hmac = s.keys[0]!;
  const twin = {
    ...hmac,
    kid: "k3",
    status: "previous" as const,
    deactivatedAt: s.updatedAt,
    legacy: true,
  };
  return { ...s, keys: [{ ...hmac, legacy: true }, twin] };
}
