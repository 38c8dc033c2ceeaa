import { createServer } from "node:net";
import { createLocalJWKSet, importJWK, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { publicKeysOf } from "../../../../functions/jwks/app.ts";
import { createIssuer, IssuerUnavailable } from "../../../../shared/issuing/issuer.ts";
import { encodeBase64url } from "../../../../shared/kernel/base64url.ts";
import { cryptoRandom } from "../../../../shared/kernel/random.ts";
import { keyringProblems } from "../../../../shared/keyring/invariants.ts";
import { KEYRING_SCHEMA, type Keyring } from "../../../../shared/keyring/keyring.ts";
import { createKeyring } from "../../../../shared/keyring/transitions.ts";
import { kmsCustody, signingKeyTags } from "../../../../shared/keyring-store/kms-custody.ts";
import { KmsKeys, kmsFromEnvironment } from "../../../../shared/keyring-store/kms-keys.ts";
import { createVerifier } from "../../../../shared/tokens/verifier.ts";
import { motoEnvironment } from "../../../support/aws.ts";

const kms = () => kmsFromEnvironment(motoEnvironment(inject("services").motoUrl));
const text = (value: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));

/** A JWS whose signature KMS made: the private key never left it. */
async function kmsToken(keyArn: string, kid: string, claims: Record<string, unknown>) {
  const input = `${text({ alg: "ES256", typ: "JWT", kid })}.${text(claims)}`;
  return `${input}.${await kms().sign(keyArn, input)}`;
}

/** A keyring whose current key is held in KMS: its public JWK and ARN, no private material. */
async function kmsKeyring(): Promise<Keyring> {
  const arn = await kms().create("keyward signing key", { "keyward:keyring": "signing" });
  const kid = "kms-current-0123456789";
  const now = Date.now();
  const keyring: Keyring = {
    schema: KEYRING_SCHEMA,
    revision: 1,
    updatedAt: now,
    keys: [
      {
        kid,
        alg: "ES256",
        status: "current",
        jwk: await kms().publicJwk(arn, kid),
        kms: { arn },
        createdAt: now,
        activatedAt: now,
        compromised: false,
        legacy: false,
      },
    ],
  };
  expect(keyringProblems(keyring)).toEqual([]);
  return keyring;
}

describe("signing keys held in KMS (moto)", () => {
  it("lets keyward/issuer sign with a key held in KMS: the token verifies with keyward's verifier and with jose through the JWKS", async () => {
    const keyring = await kmsKeyring();
    const issuer = createIssuer({ keyring: { load: async () => keyring }, kms: kms() });
    const issued = await issuer.issue({ sub: "alice", claims: { role: "user" } });
    expect(issued.kid).toBe(keyring.keys[0]!.kid);
    expect(await createVerifier().verify(issued.token, keyring, Date.now())).toMatchObject({
      ok: true,
      claims: { sub: "alice", role: "user" },
    });
    const jwks = createLocalJWKSet({ keys: publicKeysOf(keyring) });
    expect((await jwtVerify(issued.token, jwks)).payload.sub).toBe("alice");
    expect(JSON.stringify(publicKeysOf(keyring))).not.toContain('"d"');
  });

  it("answers IssuerUnavailable, never a token, when KMS does not answer within its budget", async () => {
    const keyring = await kmsKeyring();
    const silent = new KmsKeys({
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      timeoutMs: 500,
    });
    const issuer = createIssuer({ keyring: { load: async () => keyring }, kms: silent });
    await expect(issuer.issue({ sub: "alice" })).rejects.toBeInstanceOf(IssuerUnavailable);
  });

  it("signs a token that keyward's verifier and plain jose accept with the key's public JWK", async () => {
    const arn = await kms().create("keyward signing key", { "keyward:keyring": "signing" });
    const kid = "kms-key-0123456789abcd";
    const jwk = await kms().publicJwk(arn, kid);
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", kid, alg: "ES256", use: "sig" });
    expect(Object.keys(jwk)).not.toContain("d");
    const now = Math.floor(Date.now() / 1000);
    const token = await kmsToken(arn, kid, { sub: "alice", iat: now, exp: now + 600, jti: "j1" });

    const { payload } = await jwtVerify(token, await importJWK(jwk, "ES256"));
    expect(payload.sub).toBe("alice");
    const keyring: Keyring = {
      schema: KEYRING_SCHEMA,
      revision: 1,
      updatedAt: 0,
      keys: [
        {
          kid,
          alg: "ES256" as const,
          status: "current" as const,
          jwk,
          createdAt: 0,
          compromised: false,
          legacy: false,
        },
      ],
    };
    expect(await createVerifier().verify(token, keyring, Date.now())).toMatchObject({
      ok: true,
      kid,
      claims: { sub: "alice" },
    });
  });

  it("holds RS256 keys too (RSA 2048): the issuer signs through KMS, and keyward's verifier and jose through the JWKS accept the token", async () => {
    const key = await kmsCustody({
      kms: kms(),
      random: cryptoRandom,
      tags: signingKeyTags("keyward/rsa"),
      schedulesDeletion: true,
    }).create("RS256", Date.now());
    expect(key).toMatchObject({ alg: "RS256", jwk: { kty: "RSA" } });
    expect(Object.keys(key.jwk ?? {}).sort()).toEqual(["e", "kty", "n"]);
    const keyring = createKeyring(key, Date.now());
    const issuer = createIssuer({ keyring: { load: async () => keyring }, kms: kms() });
    const issued = await issuer.issue({ sub: "alice" });
    expect(
      JSON.parse(Buffer.from(issued.token.split(".")[0] ?? "", "base64url").toString()),
    ).toMatchObject({ alg: "RS256", kid: key.kid });
    expect(await createVerifier().verify(issued.token, keyring, Date.now())).toMatchObject({
      ok: true,
      claims: { sub: "alice" },
    });
    const jwks = createLocalJWKSet({ keys: publicKeysOf(keyring) });
    expect((await jwtVerify(issued.token, jwks)).payload.sub).toBe("alice");
  });

  it("disables a retired key and enables it again for a rollback: KMS says which", async () => {
    const arn = await kms().create("keyward signing key", { "keyward:keyring": "signing" });
    expect(await kms().state(arn)).toBe("Enabled");
    await kms().disable(arn);
    // AWS refuses Sign on a disabled key (DisabledException); moto does not, so the state is
    // what is checked here, and keyward signs only with its keyring's signing key anyway.
    expect(await kms().state(arn)).toBe("Disabled");
    await kms().enable(arn);
    expect(await kms().state(arn)).toBe("Enabled");
  });

  it("schedules a key's deletion with the shortest window KMS allows, and says when the material is gone", async () => {
    const arn = await kms().create("keyward signing key", { "keyward:keyring": "signing" });
    const gone = await kms().scheduleDeletion(arn);
    const days = (gone - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    expect(await kms().state(arn)).toBe("PendingDeletion");
  });
});

/** A port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
