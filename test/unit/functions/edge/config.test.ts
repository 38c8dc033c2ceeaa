import { describe, expect, it } from "vitest";
import { readEdgeConfig } from "../../../../functions/edge/wiring.ts";
import { readVerifierConfig } from "../../../../shared/config/verifier-config.ts";

const upstash = { UPSTASH_REDIS_REST_URL: "https://db.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" };

describe("readEdgeConfig (the Worker's variables and secrets)", () => {
  it("takes keys from a JWKS without AWS credentials, with the authorizer's defaults", () => {
    expect(
      readEdgeConfig({
        ...upstash,
        KEYWARD_ORIGIN: "https://origin.example",
        KEYWARD_JWKS_URL: "https://keys.example/.well-known/jwks.json",
      }),
    ).toMatchObject({
      origin: "https://origin.example",
      keys: { kind: "jwks", url: "https://keys.example/.well-known/jwks.json" },
      upstash: { kind: "env", url: "https://db.upstash.io" },
      revocationBudgetMs: 100,
      failureMode: "closed",
      keyringCacheTtlSeconds: 60,
    });
  });

  it("takes keys from Secrets Manager with the reader's AWS variables", () => {
    expect(
      readEdgeConfig({
        ...upstash,
        KEYWARD_ORIGIN: "https://origin.example",
        KEYWARD_SECRET_PREFIX: "keyward/prod",
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIA",
        AWS_SECRET_ACCESS_KEY: "secret",
      }).keys,
    ).toEqual({ kind: "secrets", prefix: "keyward/prod" });
  });

  it("names every problem at once, and no value", () => {
    const attempt = () =>
      readEdgeConfig({
        KEYWARD_SECRET_PREFIX: "keyward/prod",
        KEYWARD_JWKS_URL: "https://keys.example/jwks.json",
        KEYWARD_UPSTASH_SECRET_ID: "arn:aws:secretsmanager:…:upstash-s3cr3t",
      });
    expect(attempt).toThrow(
      expect.objectContaining({
        problems: [
          "KEYWARD_ORIGIN is required: the URL accepted requests are sent to",
          "KEYWARD_UPSTASH_SECRET_ID is not read at the edge: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (as Worker secrets, or in the environment)",
          "AWS_REGION is required with KEYWARD_SECRET_PREFIX: the keyring's reader",
          "AWS_ACCESS_KEY_ID is required with KEYWARD_SECRET_PREFIX: the keyring's reader",
          "AWS_SECRET_ACCESS_KEY is required with KEYWARD_SECRET_PREFIX: the keyring's reader",
          "set KEYWARD_SECRET_PREFIX or KEYWARD_JWKS_URL, not both: where the keys are",
        ],
      }),
    );
  });

  it("leaves KEYWARD_JWKS_URL to the edge: the Lambda authorizer reads its keys from Secrets Manager", () => {
    const config = readVerifierConfig({
      ...upstash,
      KEYWARD_SECRET_PREFIX: "keyward/prod",
      KEYWARD_JWKS_URL: "https://keys.example/jwks.json",
    });
    expect(config.keys).toEqual({ kind: "secrets", prefix: "keyward/prod" });
  });
});
