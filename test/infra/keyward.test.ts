import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { Keyward } from "../../infra/keyward.ts";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import {
  environments,
  isVerifier,
  isWriter,
  logicalId,
  stackWith,
  statementsOf,
} from "../support/templates.ts";

let template: Template;
let keyward: Keyward;
let id: (construct: Parameters<typeof logicalId>[1]) => string;

beforeAll(() => {
  const made = stackWith();
  keyward = made.keyward;
  template = made.template();
  id = (construct) => logicalId(made.stack, construct);
});

const problemsOf = (make: () => unknown): readonly string[] => {
  try {
    make();
  } catch (error) {
    if (error instanceof ConfigInvalid) return error.problems;
    throw error;
  }
  return [];
};

describe("the Keyward construct", () => {
  it("runs its four functions on Node 22, arm64, sized, from prebuilt code, each with a role of its own and a month of logs", () => {
    template.resourcePropertiesCountIs(
      "AWS::Lambda::Function",
      { Runtime: "nodejs22.x", Architectures: ["arm64"], Handler: "index.handler" },
      4,
    );
    const memory = (fn: Keyward["authorizer"]) =>
      template.findResources("AWS::Lambda::Function")[id(fn)]?.Properties.MemorySize;
    expect(
      [keyward.authorizer, keyward.opsApi, keyward.issuing, keyward.rotation].map(memory),
    ).toEqual([256, 512, 256, 512]);
    // HS256 by default: no public keys, so no JWKS function; no sample API unless asked.
    expect(keyward.jwks).toBeUndefined();
    expect(keyward.sampleApi).toBeUndefined();
    template.resourceCountIs("AWS::Logs::LogGroup", 4);
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    // No AWS managed policy anywhere: each role may write its own log group and what it is granted.
    for (const role of Object.values(template.findResources("AWS::IAM::Role")))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("configures the authorizer from its environment, with the reader's Upstash credentials", () => {
    expect(environments(template)[id(keyward.authorizer)]).toEqual({
      KEYWARD_SECRET_PREFIX: "keyward/test",
      KEYWARD_UPSTASH_SECRET_ID: { Ref: id(keyward.upstashReaderSecret) },
      KEYWARD_REDIS_PREFIX: "kw:",
      KEYWARD_REVOCATION_FAILURE_MODE: "closed",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "86400",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "60",
    });
  });

  it("tells the writers which deployment owns the keyrings, and gives them the writers' Upstash credentials", () => {
    const writers = Object.values(environments(template)).filter(isWriter);
    expect(writers).toHaveLength(2);
    for (const vars of writers)
      expect(vars).toMatchObject({
        KEYWARD_OWNER: "Test/Keyward",
        KEYWARD_UPSTASH_SECRET_ID: { Ref: id(keyward.upstashSecret) },
      });
    expect(keyward.owner).toBe("Test/Keyward");
  });

  it("gives the rotation function and the ops API the same policy, from the props", () => {
    const env = environments(
      stackWith({
        rotationPeriod: Duration.days(30),
        minGrace: Duration.days(3),
        maxGrace: Duration.days(10),
        retireBelowPercent: 2,
        retention: Duration.days(14),
        strategy: "rolling",
        algorithm: "ES256",
        maxTokenLifetime: Duration.hours(1),
        keyringCacheTtl: Duration.seconds(30),
        prePublicationMargin: Duration.seconds(90),
        failureMode: "open",
        redisPrefix: "prod:",
      }).template(),
    );
    const writers = Object.values(env).filter(isWriter);
    expect(writers).toHaveLength(2);
    for (const vars of writers)
      expect(vars).toMatchObject({
        KEYWARD_ALGORITHM: "ES256",
        KEYWARD_STRATEGY: "rolling",
        KEYWARD_ROTATION_PERIOD_DAYS: "30",
        KEYWARD_MIN_GRACE_DAYS: "3",
        KEYWARD_MAX_GRACE_DAYS: "10",
        KEYWARD_RETIRE_BELOW_PERCENT: "2",
        KEYWARD_RETENTION_DAYS: "14",
        KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
        KEYWARD_KEYRING_CACHE_TTL_SECONDS: "30",
        KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS: "90",
        KEYWARD_REDIS_PREFIX: "prod:",
      });
    expect(Object.values(env).find(isVerifier)).toMatchObject({
      KEYWARD_REVOCATION_FAILURE_MODE: "open",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "30",
      KEYWARD_REDIS_PREFIX: "prod:",
    });
  });

  it("refuses at synth a policy the functions would refuse at start, naming the props", () => {
    expect(
      problemsOf(() => stackWith({ minGrace: Duration.days(0), maxGrace: Duration.hours(36) })),
    ).toEqual([
      "maxGrace must be a whole number of days",
      "minGrace must be at least maxTokenLifetime, or valid tokens would be refused",
    ]);
  });

  it("gives the writers the sessions keyring's own policy, and never tells a verifier of session keys", () => {
    const env = environments(
      stackWith({
        sessions: {
          rotationPeriod: Duration.days(14),
          maxSessionLifetime: Duration.days(2),
          minGrace: Duration.days(3),
          retention: Duration.days(2),
        },
      }).template(),
    );
    for (const vars of Object.values(env).filter(isWriter))
      expect(vars).toMatchObject({
        KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS: "14",
        KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS: "172800",
        KEYWARD_SESSIONS_MIN_GRACE_DAYS: "3",
        KEYWARD_SESSIONS_RETENTION_DAYS: "2",
      });
    const verifier = Object.values(env).find(isVerifier) ?? {};
    expect(Object.keys(verifier).some((name) => name.includes("SESSIONS"))).toBe(false);
    expect(
      problemsOf(() => stackWith({ sessions: { maxSessionLifetime: Duration.days(10) } })),
    ).toEqual([
      "sessions.minGrace must be at least sessions.maxSessionLifetime, or live sessions would be refused",
    ]);
  });

  it("gives every verifier setting to the authorizer, the issuer and the writers (a key's rule must outlive a stale keyring) from props, and refuses one they would refuse, naming the prop", () => {
    const verifiers = Object.values(
      environments(
        stackWith({
          issuer: "https://login.example",
          audience: "api",
          tokenType: "at+jwt",
          tokenHeader: "X-Token",
          tokenCookie: "session",
          clockTolerance: Duration.seconds(2),
          keyringMaxStale: Duration.minutes(5),
          unknownKidCooldown: Duration.seconds(30),
          unknownKidWait: Duration.millis(500),
          revocationBudget: Duration.millis(150),
          revocationFreshness: Duration.millis(250),
          revocationMirrorMaxRules: 50_000,
        }).template(),
      ),
    ).filter(isVerifier);
    expect(verifiers).toHaveLength(4);
    expect(verifiers.filter(isWriter)).toHaveLength(2);
    for (const vars of verifiers)
      expect(vars).toMatchObject({
        KEYWARD_ISSUER: "https://login.example",
        KEYWARD_AUDIENCE: "api",
        KEYWARD_TOKEN_TYPE: "at+jwt",
        KEYWARD_TOKEN_HEADER: "X-Token",
        KEYWARD_TOKEN_COOKIE: "session",
        KEYWARD_CLOCK_TOLERANCE_SECONDS: "2",
        KEYWARD_KEYRING_MAX_STALE_SECONDS: "300",
        KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS: "30",
        KEYWARD_UNKNOWN_KID_WAIT_MS: "500",
        KEYWARD_REVOCATION_BUDGET_MS: "150",
        KEYWARD_REVOCATION_FRESHNESS_MS: "250",
        KEYWARD_REVOCATION_MIRROR_MAX_RULES: "50000",
      });
    expect(
      Object.values(environments(stackWith({ revocationMirror: false }).template())).find(
        isVerifier,
      ),
    ).toMatchObject({ KEYWARD_REVOCATION_MIRROR: "off" });
    const problems = problemsOf(() =>
      stackWith({
        tokenHeader: "not a header",
        revocationBudget: Duration.millis(5),
        unknownKidWait: Duration.millis(1.5),
        redisPrefix: "kw*",
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        "redisPrefix must be 1 to 64 characters from A-Z a-z 0-9 : _ . -",
        "unknownKidWait must be a whole number of milliseconds",
        "tokenHeader must be an HTTP header name",
        expect.stringMatching(/^revocationBudget must be/),
      ]),
    );
    expect(
      problemsOf(() =>
        stackWith({
          revocationFreshness: Duration.millis(950),
          revocationBudget: Duration.millis(100),
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^revocationFreshness plus revocationBudget must be at most 1000/),
    ]);
  });

  it("puts the ops API and the issuing endpoint behind IAM auth on their function URLs, and opens none without", () => {
    for (const fn of [keyward.opsApi, keyward.issuing])
      template.hasResourceProperties("AWS::Lambda::Url", {
        AuthType: "AWS_IAM",
        TargetFunctionArn: { "Fn::GetAtt": [id(fn), "Arn"] },
      });
    expect(
      Object.values(template.findResources("AWS::Lambda::Url")).filter(
        (u) => u.Properties.AuthType === "NONE",
      ),
    ).toEqual([]);
  });

  it("runs the rotation function hourly, one at a time, retrying twice into a dead-letter queue", () => {
    expect(
      template.findResources("AWS::Lambda::Function")[id(keyward.rotation)]?.Properties
        .ReservedConcurrentExecutions,
    ).toBe(1);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [id(keyward.rotation), "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [id(keyward.deadLetters), "Arn"] } },
        }),
      ],
    });
  });

  it("serves the public JWKS, when the keys are asymmetric or asked for, from a function with a reserved concurrency of its own", () => {
    const made = stackWith({ algorithm: "ES256" });
    const t = made.template();
    const jwks = logicalId(made.stack, made.keyward.jwks as never);
    t.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "NONE",
      TargetFunctionArn: { "Fn::GetAtt": [jwks, "Arn"] },
    });
    expect(t.findResources("AWS::Lambda::Function")[jwks]?.Properties).toMatchObject({
      ReservedConcurrentExecutions: 5,
      Environment: {
        Variables: {
          KEYWARD_SECRET_PREFIX: "keyward/test",
          KEYWARD_KEYRING_CACHE_TTL_SECONDS: "60",
        },
      },
    });
    expect(
      stackWith({ jwks: true, jwksConcurrency: 20 }).template().findResources("AWS::Lambda::Url"),
    ).toSatisfy((urls: Record<string, { Properties: { AuthType: string } }>) =>
      Object.values(urls).some((u) => u.Properties.AuthType === "NONE"),
    );
    const reserved = stackWith({ authorizerReservedConcurrency: 100 });
    expect(
      reserved.template().findResources("AWS::Lambda::Function")[
        logicalId(reserved.stack, reserved.keyward.authorizer)
      ]?.Properties.ReservedConcurrentExecutions,
    ).toBe(100);
    expect(
      problemsOf(() => stackWith({ jwksConcurrency: 0, authorizerReservedConcurrency: 1.5 })),
    ).toEqual([
      "jwksConcurrency must be a whole number from 1 to 100",
      "authorizerReservedConcurrency must be a whole number above 0",
    ]);
  });

  it("gives the edge Worker an IAM user that can only read the keyring, with no access key in the template", () => {
    expect(Object.keys(template.findResources("AWS::IAM::User"))).toHaveLength(1);
    template.resourceCountIs("AWS::IAM::AccessKey", 0);
    expect(stackWith({ edgeReader: false }).template().findResources("AWS::IAM::User")).toEqual({});
  });

  it("keeps the secrets when the stack goes, and has no teardown, by default", () => {
    for (const secret of [
      keyward.upstashSecret,
      keyward.upstashIssuerSecret,
      keyward.upstashReaderSecret,
      keyward.operatorsSecret,
      keyward.issuingClientsSecret,
      keyward.refreshSecret,
    ])
      expect(template.findResources("AWS::SecretsManager::Secret")[id(secret)]).toMatchObject({
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
      });
    expect(template.findResources("Custom::KeywardKeyringSecrets")).toEqual({});
  });

  it("with removalPolicy DESTROY, deletes its secrets, and the keyring secrets it owns through a teardown", () => {
    const t = stackWith({ removalPolicy: RemovalPolicy.DESTROY }).template();
    const secrets = Object.values(t.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(6);
    for (const secret of secrets) expect(secret).toMatchObject({ DeletionPolicy: "Delete" });
    const [teardown, ...more] = Object.values(t.findResources("Custom::KeywardKeyringSecrets"));
    expect(more).toEqual([]);
    expect(teardown).toMatchObject({ Properties: { prefix: "keyward/test" } });
    const [fnId] = Object.entries(environments(t)).find(
      ([, vars]) => Object.keys(vars).length === 2 && vars.KEYWARD_OWNER === "Test/Keyward",
    ) ?? ["no teardown function"];
    const deletes = statementsOf(t, fnId).filter((s) =>
      JSON.stringify(s.Action).includes("secretsmanager:DeleteSecret"),
    );
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.Condition).toEqual({
      StringEquals: { "secretsmanager:ResourceTag/keyward:owner": "Test/Keyward" },
    });
  });

  it("refuses props it cannot honour, every problem at once", () => {
    expect(
      problemsOf(() =>
        stackWith({
          removalPolicy: RemovalPolicy.SNAPSHOT,
          usualRefusalPercent: 0,
          replicaRegions: ["eu-west-1", "mars"],
        }),
      ),
    ).toEqual([
      "removalPolicy must be RETAIN or DESTROY (secrets have no snapshot)",
      "usualRefusalPercent must be a percentage above 0 and at most 50",
      "replicaRegions: eu-west-1 is not another AWS region",
      "replicaRegions: mars is not another AWS region",
    ]);
  });
});
