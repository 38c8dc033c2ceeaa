import { type App, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { NumberUnit, Setting } from "../shared/config/setting.ts";
import { SETTINGS } from "../shared/config/settings.ts";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import { Keyward } from "./keyward.ts";
import { keywardOutputs } from "./outputs.ts";
import { KeywardRegion } from "./region.ts";
import type { KeywardSettings } from "./settings.ts";

/** What a context key's text becomes, by the setting's unit. */
const DURATION_OF: Partial<Record<NumberUnit, (amount: number) => Duration>> = {
  days: Duration.days,
  seconds: Duration.seconds,
  milliseconds: Duration.millis,
};

/**
 * The construct's settings from their context keys (docs/settings.md, from `SETTINGS`): numbers
 * as durations in their unit, the mirror as a boolean, lists split at commas, the sessions
 * keyring's under `sessions`.
 */
function settingsFromContext(
  text: (name: string) => string | undefined,
  number: (name: string) => number | undefined,
  list: (name: string) => string[],
): KeywardSettings & { secretPrefix?: string; replicaRegions?: string[] } {
  const props: Record<string, unknown> = {};
  const sessions: Record<string, unknown> = {};
  for (const setting of Object.values(SETTINGS as Readonly<Record<string, Setting>>)) {
    if (!setting.context || !setting.prop || text(setting.context) === undefined) continue;
    const name = setting.context;
    const value =
      setting.kind === "number"
        ? (DURATION_OF[setting.unit] ?? ((amount: number) => amount))(number(name) ?? 0)
        : setting.prop === "revocationMirror"
          ? text(name) !== "false" && text(name) !== "off"
          : setting.prop === "replicaRegions"
            ? list(name)
            : text(name);
    const [owner, key] = setting.prop.startsWith("sessions.")
      ? [sessions, setting.prop.slice("sessions.".length)]
      : [props, setting.prop];
    owner[key] = value;
  }
  return { ...props, ...(Object.keys(sessions).length === 0 ? {} : { sessions }) };
}

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
    if (!/^\d+(\.\d+)?$/.test(value))
      throw new ConfigInvalid([`context keyward:${name} must be a number`]);
    return Number(value);
  };
  const flag = (name: string) => (text(name) === undefined ? undefined : text(name) !== "false");
  const seconds = (name: string) => {
    const value = number(name);
    return value === undefined ? undefined : Duration.seconds(value);
  };
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
    throw new ConfigInvalid(['context keyward:removalPolicy must be "retain" or "destroy"']);
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
    ...settingsFromContext(text, number, list),
    ...optional("usualRefusalPercent", number("usualRefusalPercent")),
    ...optional("authorizerCacheTtl", seconds("authorizerCacheTtlSeconds")),
    ...optional("edgeReader", flag("edgeReader")),
    ...optional("sampleApi", flag("sampleApi")),
    ...optional("jwks", flag("jwks")),
    ...optional("jwksConcurrency", number("jwksConcurrency")),
    ...optional("authorizerReservedConcurrency", number("authorizerReservedConcurrency")),
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
