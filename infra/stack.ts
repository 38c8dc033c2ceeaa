import { type App, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import type { Algorithm } from "../shared/keyring/key.ts";
import { Keyward } from "./keyward.ts";
import { keywardOutputs } from "./outputs.ts";
import { KeywardRegion } from "./region.ts";

/** A secret's complete ARN ends with its six-character suffix: grants need it. */
const COMPLETE_SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/**
 * The ready stack, configured from CDK context (`keyward:*` in cdk.json, or `-c
 * keyward:name=value`; docs/deploying.md lists every name), and a regional verifier stack for each
 * of `keyward:replicaRegions`.
 */
export function keywardStackFromContext(app: App): {
  stack: Stack;
  keyward: Keyward;
  regions: KeywardRegion[];
} {
  const text = (name: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(`keyward:${name}`);
    return value === undefined || value === null || value === "" ? undefined : String(value);
  };
  const number = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`context keyward:${name} must be a number`);
    return Number(value);
  };
  const flag = (name: string) => (text(name) === undefined ? undefined : text(name) !== "false");
  const duration = (name: string, of: (n: number) => Duration) => {
    const value = number(name);
    return value === undefined ? undefined : of(value);
  };
  const days = (name: string) => duration(name, Duration.days);
  const seconds = (name: string) => duration(name, Duration.seconds);
  const milliseconds = (name: string) => duration(name, Duration.millis);
  const optional = <T>(name: string, value: T | undefined) =>
    value === undefined ? {} : { [name]: value };
  const list = (name: string) =>
    (text(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");

  const region = text("region") ?? process.env.CDK_DEFAULT_REGION;
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const stack = new Stack(app, text("stackName") ?? "Keyward", {
    description: "keyward: JWT key rotation and token revocation",
    ...(region === undefined
      ? {}
      : { env: { region, ...(account === undefined ? {} : { account }) } }),
  });
  const removal = text("removalPolicy");
  if (removal !== undefined && removal !== "retain" && removal !== "destroy") {
    throw new Error('context keyward:removalPolicy must be "retain" or "destroy"');
  }
  // A secret of the team's own, by its complete ARN (a partial one breaks the grants).
  const givenSecret = (name: string, id: string) => {
    const arn = text(name);
    if (arn === undefined) return undefined;
    if (!COMPLETE_SECRET_ARN.test(arn))
      throw new ConfigInvalid([
        `context keyward:${name} must be a secret's complete ARN, ending with its 6-character suffix (aws secretsmanager describe-secret --secret-id <name> --query ARN)`,
      ]);
    return Secret.fromSecretCompleteArn(stack, id, arn);
  };
  const alarmTopicArn = text("alarmTopicArn");
  const keyward = new Keyward(stack, "Keyward", {
    ...optional("secretPrefix", text("secretPrefix")),
    ...optional("algorithm", text("algorithm") as Algorithm | undefined),
    ...optional("strategy", text("strategy") as "graceful" | "rolling" | undefined),
    ...optional("failureMode", text("failureMode") as "closed" | "open" | undefined),
    ...optional("redisPrefix", text("redisPrefix")),
    ...optional("issuer", text("issuer")),
    ...optional("audience", text("audience")),
    ...optional("tokenType", text("tokenType")),
    ...optional("tokenHeader", text("tokenHeader")),
    ...optional("tokenCookie", text("tokenCookie")),
    ...optional("clockTolerance", seconds("clockToleranceSeconds")),
    ...optional("keyringMaxStale", seconds("keyringMaxStaleSeconds")),
    ...optional("unknownKidCooldown", seconds("unknownKidCooldownSeconds")),
    ...optional("unknownKidWait", milliseconds("unknownKidWaitMs")),
    ...optional("revocationBudget", milliseconds("revocationBudgetMs")),
    ...optional("revocationMirror", flag("revocationMirror")),
    ...optional("revocationFreshness", milliseconds("revocationFreshnessMs")),
    ...optional("revocationMirrorMaxRules", number("revocationMirrorMaxRules")),
    ...optional("rotationPeriod", days("rotationPeriodDays")),
    ...optional("minGrace", days("minGraceDays")),
    ...optional("maxGrace", days("maxGraceDays")),
    ...optional("retireBelowPercent", number("retireBelowPercent")),
    ...optional("retention", days("retentionDays")),
    ...optional("maxTokenLifetime", seconds("maxTokenLifetimeSeconds")),
    ...optional("keyringCacheTtl", seconds("keyringCacheTtlSeconds")),
    ...optional("prePublicationMargin", seconds("prePublicationMarginSeconds")),
    ...optional("usualRefusalPercent", number("usualRefusalPercent")),
    sessions: {
      ...optional("rotationPeriod", days("sessionsRotationPeriodDays")),
      ...optional("maxSessionLifetime", seconds("sessionsMaxLifetimeSeconds")),
      ...optional("minGrace", days("sessionsMinGraceDays")),
      ...optional("maxGrace", days("sessionsMaxGraceDays")),
      ...optional("retireBelowPercent", number("sessionsRetireBelowPercent")),
      ...optional("retention", days("sessionsRetentionDays")),
    },
    ...optional("authorizerCacheTtl", seconds("authorizerCacheTtlSeconds")),
    ...optional("edgeReader", flag("edgeReader")),
    ...optional("sampleApi", flag("sampleApi")),
    ...optional("jwks", flag("jwks")),
    ...optional("jwksConcurrency", number("jwksConcurrency")),
    ...optional("authorizerReservedConcurrency", number("authorizerReservedConcurrency")),
    ...optional(
      "replicaRegions",
      text("replicaRegions") === undefined ? undefined : list("replicaRegions"),
    ),
    ...optional(
      "removalPolicy",
      removal === undefined
        ? undefined
        : removal === "destroy"
          ? RemovalPolicy.DESTROY
          : RemovalPolicy.RETAIN,
    ),
    ...optional("upstashSecret", givenSecret("upstashSecretArn", "GivenUpstashSecret")),
    ...optional(
      "upstashIssuerSecret",
      givenSecret("upstashIssuerSecretArn", "GivenUpstashIssuerSecret"),
    ),
    ...optional(
      "upstashReaderSecret",
      givenSecret("upstashReaderSecretArn", "GivenUpstashReaderSecret"),
    ),
    ...(alarmTopicArn === undefined
      ? {}
      : {
          alarmTopic: Topic.fromTopicArn(stack, "GivenAlarmTopic", alarmTopicArn),
          ...optional("alarmTopicAllowsEventBridge", flag("alarmTopicAllowsEventBridge")),
        }),
  });
  keywardOutputs(stack, keyward);
  const issuerRegions = new Set(list("regionalIssuers"));
  const regions = keyward.replicaRegions.map(
    (replica) =>
      new KeywardRegion(app, `${stack.stackName}-${replica}`, {
        keyward,
        issuer: issuerRegions.has(replica),
        env: { region: replica, ...(account === undefined ? {} : { account }) },
        description: `keyward: the regional verifier of ${stack.stackName} in ${replica}`,
      }),
  );
  return { stack, keyward, regions };
}
