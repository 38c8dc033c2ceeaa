import { type App, CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Algorithm } from "../shared/keyring/key.ts";
import { Keyward } from "./keyward.ts";

/**
 * The ready stack, configured from CDK context (`keyward:*` in cdk.json, or `-c
 * keyward:name=value`); README "Deploying" lists every name.
 */
export function keywardStackFromContext(app: App): { stack: Stack; keyward: Keyward } {
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
  const days = (name: string) => {
    const value = number(name);
    return value === undefined ? undefined : Duration.days(value);
  };
  const seconds = (name: string) => {
    const value = number(name);
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const milliseconds = (name: string) => {
    const value = number(name);
    return value === undefined ? undefined : Duration.millis(value);
  };
  const optional = <T>(name: string, value: T | undefined) =>
    value === undefined ? {} : { [name]: value };

  const stack = new Stack(app, text("stackName") ?? "Keyward", {
    description: "keyward: JWT key rotation and token revocation",
  });
  const removal = text("removalPolicy");
  if (removal !== undefined && removal !== "retain" && removal !== "destroy") {
    throw new Error('context keyward:removalPolicy must be "retain" or "destroy"');
  }
  const upstashSecretArn = text("upstashSecretArn");
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
    ...optional(
      "revocationMirror",
      text("revocationMirror") === undefined ? undefined : text("revocationMirror") !== "false",
    ),
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
    ...optional(
      "edgeReader",
      text("edgeReader") === undefined ? undefined : text("edgeReader") !== "false",
    ),
    ...optional(
      "sampleApi",
      text("sampleApi") === undefined ? undefined : text("sampleApi") !== "false",
    ),
    ...optional(
      "removalPolicy",
      removal === undefined
        ? undefined
        : removal === "destroy"
          ? RemovalPolicy.DESTROY
          : RemovalPolicy.RETAIN,
    ),
    ...(upstashSecretArn === undefined
      ? {}
      : {
          upstashSecret: Secret.fromSecretCompleteArn(
            stack,
            "GivenUpstashSecret",
            upstashSecretArn,
          ),
        }),
    ...(alarmTopicArn === undefined
      ? {}
      : { alarmTopic: Topic.fromTopicArn(stack, "GivenAlarmTopic", alarmTopicArn) }),
  });
  // What an operator needs after the deploy (README, "Deploying"), by name: description, value.
  const outputs: Record<string, readonly [string, string]> = {
    OpsApiUrl: [
      "KEYWARD_URL for the keyward CLI (IAM auth: requests are signed with SigV4)",
      keyward.opsApiUrl.url,
    ],
    IssuingUrl: [
      "POST /v1/tokens for login services (IAM auth, and a client credential in X-Keyward-Credential)",
      keyward.issuingUrl.url,
    ],
    ...(keyward.sampleApi === undefined
      ? {}
      : {
          SampleRoute: [
            "GET with Authorization: Bearer <token>",
            keyward.sampleApi.api.urlForPath("/hello"),
          ] as const,
        }),
    JwksUrl: [
      "public keys for outside verifiers: <JwksUrl>.well-known/jwks.json (no credentials)",
      keyward.jwksUrl.url,
    ],
    AlarmTopic: ["subscribe to receive keyward's alarms", keyward.alarmTopic.topicArn],
    Dashboard: ["keyward's CloudWatch dashboard", keyward.monitoring.dashboard.dashboardName],
    UpstashSecret: [
      'fill with {"url": "https://….upstash.io", "token": "…"} (the REST credentials)',
      keyward.upstashSecret.secretArn,
    ],
    OperatorsSecret: [
      'fill with [{"name", "role", "tokenSha256"}] (hashes from keyward hash-token)',
      keyward.operatorsSecret.secretArn,
    ],
    IssuingClientsSecret: [
      'fill with [{"name", "tokenSha256", "claims", "audiences", "maxLifetimeSeconds"}]',
      keyward.issuingClientsSecret.secretArn,
    ],
    OpsApiFunctionArn: [
      "operators need lambda:InvokeFunctionUrl and (via the URL) lambda:InvokeFunction on it",
      keyward.opsApi.functionArn,
    ],
    ...(keyward.edgeReader === undefined
      ? {}
      : {
          EdgeReaderUser: [
            "IAM user the edge Worker reads the keyring with: create its access key, put it in the Worker's secrets",
            keyward.edgeReader.userName,
          ] as const,
        }),
    AuthorizerArn: [
      "the Lambda authorizer, for APIs defined outside this CDK app",
      keyward.authorizer.functionArn,
    ],
  };
  for (const [id, [description, value]] of Object.entries(outputs))
    new CfnOutput(stack, id, { description, value });
  return { stack, keyward };
}
