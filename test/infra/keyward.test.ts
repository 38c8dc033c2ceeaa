import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";

let template: Template;
let ids: {
  authorizer: string;
  ops: string;
  rotation: string;
  bus: string;
  upstash: string;
  operators: string;
  dlq: string;
};

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, "Test", { env: { account: "123456789012", region: "eu-west-1" } });
  const keyward = new Keyward(stack, "Keyward", { secretPrefix: "keyward/test" });
  template = Template.fromStack(stack);
  const logical = (construct: { node: { defaultChild?: unknown } } | object) =>
    stack.getLogicalId((construct as { node: { defaultChild: never } }).node.defaultChild);
  ids = {
    authorizer: logical(keyward.authorizer),
    ops: logical(keyward.opsApi),
    rotation: logical(keyward.rotation),
    dlq: logical(keyward.deadLetters),
    bus: logical(keyward.bus),
    upstash: logical(keyward.upstashSecret),
    operators: logical(keyward.operatorsSecret),
  };
}, 120_000);

/** Every IAM statement attached to a function's role. */
function statementsOf(
  functionId: string,
): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const fn = template.findResources("AWS::Lambda::Function")[functionId];
  if (fn === undefined) throw new Error(`no function ${functionId}`);
  const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (statements: { Action: string | string[] }[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe("the Keyward construct", () => {
  it("runs the three functions on Node 22, arm64, with a month of logs", () => {
    template.resourcePropertiesCountIs(
      "AWS::Lambda::Function",
      { Runtime: "nodejs22.x", Architectures: ["arm64"] },
      3,
    );
    template.resourceCountIs("AWS::Logs::LogGroup", 3);
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("configures the authorizer from its environment, Upstash credentials from a secret", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          KEYWARD_SECRET_PREFIX: "keyward/test",
          KEYWARD_UPSTASH_SECRET_ID: { Ref: ids.upstash },
          KEYWARD_REVOCATION_FAILURE_MODE: "closed",
          UPSTASH_REDIS_REST_TOKEN: Match.absent(),
        },
      },
    });
  });

  it("lets the authorizer read the keyring and the Upstash secret, and nothing else", () => {
    const statements = statementsOf(ids.authorizer);
    expect(actionsOf(statements)).toEqual([
      "secretsmanager:BatchGetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:GetSecretValue",
      "secretsmanager:ListSecrets",
    ]);
    const keyringRead = statements.find((s) => s.Action === "secretsmanager:GetSecretValue");
    expect(JSON.stringify(keyringRead?.Resource)).toContain(":secret:keyward/test/*");
  });

  it("lets the ops API write the keyring but not delete material, and put events on keyward's bus only", () => {
    const statements = statementsOf(ids.ops);
    const actions = actionsOf(statements);
    expect(actions).toContain("secretsmanager:PutSecretValue");
    expect(actions).toContain("secretsmanager:CreateSecret");
    expect(actions).not.toContain("secretsmanager:DeleteSecret");
    const putEvents = statements.filter((s) => actionsOf([s]).includes("events:PutEvents"));
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]?.Resource).toEqual({ "Fn::GetAtt": [ids.bus, "Arn"] });
  });

  it("puts the ops API behind IAM auth on its Function URL", () => {
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [ids.ops, "Arn"] },
    });
  });

  it("runs the rotation function hourly, one at a time, retrying twice into a dead-letter queue", () => {
    expect(
      template.findResources("AWS::Lambda::Function")[ids.rotation]?.Properties
        .ReservedConcurrentExecutions,
    ).toBe(1);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [ids.rotation, "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [ids.dlq, "Arn"] } },
        }),
      ],
    });
  });

  it("lets only the rotation function delete key material", () => {
    expect(actionsOf(statementsOf(ids.rotation))).toContain("secretsmanager:DeleteSecret");
    for (const id of [ids.authorizer, ids.ops])
      expect(actionsOf(statementsOf(id))).not.toContain("secretsmanager:DeleteSecret");
    const putEvents = statementsOf(ids.rotation).filter((s) =>
      actionsOf([s]).includes("events:PutEvents"),
    );
    expect(putEvents.map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": [ids.bus, "Arn"] }]);
  });

  it("keeps the secrets when the stack goes", () => {
    for (const id of [ids.upstash, ids.operators]) {
      expect(template.findResources("AWS::SecretsManager::Secret")[id]).toMatchObject({
        DeletionPolicy: "Retain",
      });
    }
  });
});
