import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Topic } from "aws-cdk-lib/aws-sns";
import { beforeAll, describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";
import { ConfigInvalid } from "../../shared/kernel/errors.ts";
import { logicalId, stackWith, TEST_ENV } from "../support/templates.ts";

let template: Template;
let ids: { topic: string; bus: string; dlq: string };

beforeAll(() => {
  const made = stackWith();
  template = made.template();
  ids = {
    topic: logicalId(made.stack, made.keyward.alarmTopic),
    bus: logicalId(made.stack, made.keyward.bus),
    dlq: logicalId(made.stack, made.keyward.deadLetters),
  };
});

function alarm(name: string, t = template): Record<string, unknown> {
  const found = Object.entries(t.findResources("AWS::CloudWatch::Alarm")).find(([id]) =>
    id.includes(name),
  );
  if (found === undefined) throw new Error(`no alarm ${name}`);
  return found[1].Properties as Record<string, unknown>;
}

describe("keyward's alarms and dashboard", () => {
  it("alarms when a previous key still has over 10 % of verifications past its 7-day minimum grace", () => {
    expect(alarm("PreviousKeyLingering")).toMatchObject({
      Namespace: "keyward",
      MetricName: "PreviousKeyShareAfterMinGrace",
      Dimensions: [{ Name: "Function", Value: "rotation" }],
      Statistic: "Maximum",
      Period: 3600,
      Threshold: 10,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
  });

  it("alarms when the share of refused requests is twice its usual, for 15 minutes", () => {
    const props = alarm("RefusalsAboveUsual");
    expect(props).toMatchObject({
      Threshold: 4,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    const queries = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(queries.find((q) => q.Expression !== undefined)?.Expression).toBe(
      "IF(requests >= 100, 100 * FILL(refused, 0) / requests, 0)",
    );
    expect(queries.find((q) => q.Id === "refused")?.MetricStat).toMatchObject({
      Metric: {
        MetricName: "Requests",
        Dimensions: expect.arrayContaining([{ Name: "Outcome", Value: "deny" }]),
      },
      Stat: "Sum",
      Period: 300,
    });
    stackWith({ usualRefusalPercent: 5 })
      .template()
      .hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmDescription: Match.stringLikeRegexp("usual: 5 %"),
        Threshold: 10,
      });
  });

  it("alarms on a failed rotation, a crashed or dead-lettered tick, a stale keyring, a stale signer, revocation-store failures and an Upstash that may evict", () => {
    expect(alarm("RotationFailed")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "RotationFailed" }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    const errors = alarm("RotationErrors").Metrics as { Expression?: string }[];
    expect(errors.find((q) => q.Expression !== undefined)?.Expression).toBe(
      "FILL(errors, 0) + FILL(deadLetters, 0)",
    );
    expect(alarm("StaleKeyring")).toMatchObject({
      MetricName: "StaleKeyring",
      Dimensions: [{ Name: "Function", Value: "authorizer" }],
      Threshold: 1,
    });
    expect(alarm("StaleSigner")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "StaleSigner" }],
    });
    expect(alarm("PropagationIncomplete")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "PropagationIncomplete" }],
      Threshold: 1,
    });
    expect(alarm("RevocationLagExceeded")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "RevocationLagExceeded" }],
    });
    expect(alarm("AuthorizerRevocationLag")).toMatchObject({
      MetricName: "RevocationLagP99",
      Dimensions: [{ Name: "Function", Value: "authorizer" }],
      Statistic: "Maximum",
      Threshold: 1000,
    });
    expect(alarm("RevocationStoreFailures")).toMatchObject({
      MetricName: "RevocationStoreUnavailable",
    });
    expect(alarm("UpstashEvicts")).toMatchObject({
      MetricName: "UpstashEvicts",
      Statistic: "Maximum",
      Period: 3600,
    });
  });

  it("sends every alarm, and every RotationFailed, StaleSigner, PropagationIncomplete and RevocationLagExceeded event, to a topic that requires TLS, with undeliverable events dead-lettered", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(11);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: ids.topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: ids.topic }]);
    }
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: ids.bus },
      EventPattern: {
        source: ["keyward"],
        "detail-type": [
          "RotationFailed",
          "StaleSigner",
          "PropagationIncomplete",
          "RevocationLagExceeded",
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: ids.topic },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [ids.dlq, "Arn"] } },
        }),
      ],
    });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      }),
    });
  });

  it("uses a topic from outside the app only once told its policy lets EventBridge publish", () => {
    const app = new App();
    const stack = new Stack(app, "Given", { env: TEST_ENV });
    const topic = Topic.fromTopicArn(stack, "Ops", "arn:aws:sns:eu-west-1:123456789012:ops-pager");
    expect(() => new Keyward(stack, "Refused", { alarmTopic: topic })).toThrow(ConfigInvalid);
    new Keyward(stack, "Keyward", {
      secretPrefix: "keyward/given",
      alarmTopic: topic,
      alarmTopicAllowsEventBridge: true,
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs("AWS::SNS::Topic", 0);
    for (const a of Object.values(t.findResources("AWS::CloudWatch::Alarm")))
      expect(a.Properties.AlarmActions).toEqual(["arn:aws:sns:eu-west-1:123456789012:ops-pager"]);
  });

  it("draws the dashboard: verifications by key status, refusals by reason, revocations, rotation events, store latency", () => {
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      "Verifications by key status",
      "Refusals by reason",
      "Revocations",
      "Rotation events",
      "Store latency",
      "keyward alarms",
    ])
      expect(body).toContain(title);
  });
});
