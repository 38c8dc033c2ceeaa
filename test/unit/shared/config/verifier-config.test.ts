import { describe, expect, it } from "vitest";
import { readVerifierConfig } from "../../../../shared/config/verifier-config.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";

describe("authorizer configuration", () => {
  it("reports every missing or invalid setting at once, by name", () => {
    let problems: readonly string[] = [];
    try {
      readVerifierConfig({
        KEYWARD_REVOCATION_FAILURE_MODE: "sometimes",
        KEYWARD_REVOCATION_BUDGET_MS: "fast",
        KEYWARD_KEYRING_CACHE_TTL_SECONDS: "0",
        UPSTASH_REDIS_REST_URL: "ftp://x",
        KEYWARD_TOKEN_HEADER: "bad header",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigInvalid);
      problems = (error as ConfigInvalid).problems;
    }
    expect(problems).toEqual([
      "KEYWARD_SECRET_PREFIX is required: the Secrets Manager name prefix of the keyring, e.g. keyward/prod",
      "UPSTASH_REDIS_REST_URL must be an http(s) URL",
      'KEYWARD_UPSTASH_SECRET_ID (a secret holding {"url","token"}) or both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required',
      "KEYWARD_TOKEN_HEADER must be an HTTP header name",
      "KEYWARD_KEYRING_CACHE_TTL_SECONDS must be a whole number from 1 to 3600",
      "KEYWARD_REVOCATION_BUDGET_MS must be a whole number from 10 to 5000",
      "KEYWARD_REVOCATION_FAILURE_MODE must be one of closed, open",
    ]);
  });

  it("never repeats a value it was given", () => {
    try {
      readVerifierConfig({
        KEYWARD_SECRET_PREFIX: "p",
        UPSTASH_REDIS_REST_URL: "not a url s3cr3t",
        KEYWARD_REVOCATION_BUDGET_MS: "s3cr3t",
      });
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cr3t");
    }
  });

  it("refuses a freshness bound and budget that together break the 1 s promise, and a Redis prefix a pattern would misread", () => {
    const base = { KEYWARD_SECRET_PREFIX: "keyward/prod", KEYWARD_UPSTASH_SECRET_ID: "u" };
    expect(() =>
      readVerifierConfig({
        ...base,
        KEYWARD_REVOCATION_FRESHNESS_MS: "950",
        KEYWARD_REVOCATION_BUDGET_MS: "100",
        KEYWARD_REDIS_PREFIX: "kw[1]:",
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          "KEYWARD_REDIS_PREFIX must be 1 to 64 characters from A-Z a-z 0-9 : _ . -",
          "KEYWARD_REVOCATION_FRESHNESS_MS plus KEYWARD_REVOCATION_BUDGET_MS must be at most 1000: a revocation is enforced within 1 s of its answer (lower the freshness bound, or set KEYWARD_REVOCATION_MIRROR=off)",
        ],
      }),
    );
    // Without the mirror every check reads the store: the budget may be longer.
    expect(
      readVerifierConfig({
        ...base,
        KEYWARD_REVOCATION_MIRROR: "off",
        KEYWARD_REVOCATION_BUDGET_MS: "2000",
      }).revocationBudgetMs,
    ).toBe(2000);
  });

  it("accepts a minimal configuration with documented defaults", () => {
    expect(
      readVerifierConfig({
        KEYWARD_SECRET_PREFIX: "keyward/prod",
        KEYWARD_UPSTASH_SECRET_ID: "keyward/prod/upstash",
      }),
    ).toEqual({
      keys: { kind: "secrets", prefix: "keyward/prod" },
      upstash: { kind: "secret", secretId: "keyward/prod/upstash" },
      redisPrefix: "kw:",
      clockToleranceSeconds: 5,
      maxTokenLifetimeSeconds: 86_400,
      keyringCacheTtlSeconds: 60,
      keyringMaxStaleSeconds: 900,
      unknownKidCooldownSeconds: 10,
      unknownKidWaitMs: 1000,
      revocationBudgetMs: 100,
      failureMode: "closed",
      revocationMirror: true,
      revocationFreshnessMs: 900,
      revocationMirrorMaxRules: 200_000,
      receiptWindowSeconds: 300,
      tokenHeader: "authorization",
    });
  });
});
