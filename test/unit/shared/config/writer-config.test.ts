import { describe, expect, it } from "vitest";
import { readWriterConfig } from "../../../../shared/config/writer-config.ts";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { DEFAULT_POLICY } from "../../../../shared/keyring/policy.ts";

const REQUIRED = {
  KEYWARD_SECRET_PREFIX: "keyward/prod",
  KEYWARD_EVENT_BUS: "keyward",
  KEYWARD_UPSTASH_SECRET_ID: "keyward/upstash",
};

describe("readWriterConfig", () => {
  it("takes DESIGN.md's policy when nothing else is set", () => {
    const config = readWriterConfig(REQUIRED);
    expect(config.policy).toEqual(DEFAULT_POLICY);
    expect(config.redisPrefix).toBe("kw:");
    expect(config.timing).toEqual({
      maxTokenLifetimeSeconds: 86_400,
      clockToleranceSeconds: 5,
      keyringHoldSeconds: 960,
      refreshLifetimeSeconds: 30 * 86_400,
    });
  });

  it("holds new signing keys with the keyring unless KEYWARD_SIGNING_KEYS=kms, which needs ES256", () => {
    expect(readWriterConfig(REQUIRED).signingKeys).toBe("keyring");
    expect(
      readWriterConfig({ ...REQUIRED, KEYWARD_SIGNING_KEYS: "kms", KEYWARD_ALGORITHM: "ES256" })
        .signingKeys,
    ).toBe("kms");
    expect(() => readWriterConfig({ ...REQUIRED, KEYWARD_SIGNING_KEYS: "kms" })).toThrow(
      /KEYWARD_SIGNING_KEYS=kms holds ES256 or RS256 keys .*KEYWARD_ALGORITHM=ES256 or RS256, not HS256/,
    );
    expect(() => readWriterConfig({ ...REQUIRED, KEYWARD_SIGNING_KEYS: "hsm" })).toThrow(
      /KEYWARD_SIGNING_KEYS/,
    );
  });

  it("keeps key rules as long as the verifiers' cache TTL and stale bound let them hold a key", () => {
    const config = readWriterConfig({
      ...REQUIRED,
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "120",
      KEYWARD_KEYRING_MAX_STALE_SECONDS: "3600",
    });
    expect(config.timing.keyringHoldSeconds).toBe(3720);
  });

  it("reads every rotation setting", () => {
    const config = readWriterConfig({
      ...REQUIRED,
      KEYWARD_ROTATION_PERIOD_DAYS: "30",
      KEYWARD_MIN_GRACE_DAYS: "3",
      KEYWARD_MAX_GRACE_DAYS: "10",
      KEYWARD_RETIRE_BELOW_PERCENT: "2",
      KEYWARD_RETENTION_DAYS: "14",
      KEYWARD_STRATEGY: "rolling",
      KEYWARD_ALGORITHM: "ES256",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
    });
    expect(config.policy).toMatchObject({
      rotationPeriodMs: 30 * DAY,
      minGraceMs: 3 * DAY,
      maxGraceMs: 10 * DAY,
      retireBelowShare: 0.02,
      retentionMs: 14 * DAY,
      strategy: "rolling",
      algorithm: "ES256",
      maxTokenLifetimeMs: 3_600_000,
    });
    expect(config.timing.maxTokenLifetimeSeconds).toBe(3600);
  });

  it("reports every problem at once, the policy's rules named by variable", () => {
    let error: unknown;
    try {
      readWriterConfig({
        KEYWARD_EVENT_BUS: "keyward",
        KEYWARD_UPSTASH_SECRET_ID: "keyward/upstash",
        KEYWARD_MIN_GRACE_DAYS: "10",
        KEYWARD_MAX_GRACE_DAYS: "5",
        KEYWARD_STRATEGY: "yolo",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).problems).toEqual([
      expect.stringContaining("KEYWARD_SECRET_PREFIX is required"),
      "KEYWARD_STRATEGY must be one of graceful, rolling",
      "KEYWARD_MAX_GRACE_DAYS must be at least KEYWARD_MIN_GRACE_DAYS",
    ]);
  });
});
