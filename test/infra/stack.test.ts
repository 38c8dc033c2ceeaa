import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { UNFILLED_SECRET } from "../../infra/keyward.ts";
import { keywardStackFromContext } from "../../infra/stack.ts";
import type { Setting } from "../../shared/config/setting.ts";
import { SETTING_GROUPS } from "../../shared/config/settings.ts";
import { environments, isVerifier, isWriter, logicalId } from "../support/templates.ts";

const OUTPUTS = [
  "AlarmTopic",
  "AuthorizerArn",
  "Dashboard",
  "DeadLetterQueueUrl",
  "EdgeReaderUser",
  "EventBusName",
  "IssuingClientsSecret",
  "IssuingFunctionArn",
  "IssuingUrl",
  "OperatorsSecret",
  "OpsApiFunctionArn",
  "OpsApiUrl",
  "RotationFunctionName",
  "UpstashIssuerSecret",
  "UpstashReaderSecret",
  "UpstashSecret",
];

describe("the ready stack (cdk.json, -c keyward:…)", () => {
  it("takes every setting from CDK context", () => {
    const app = new App({
      context: {
        "keyward:stackName": "KeywardStaging",
        "keyward:region": "eu-west-1",
        "keyward:rotationPeriodDays": "30",
        "keyward:maxTokenLifetimeSeconds": "3600",
        "keyward:alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager",
        "keyward:alarmTopicAllowsEventBridge": "true",
        "keyward:upstashSecretArn":
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
        "keyward:audience": "api",
        "keyward:revocationBudgetMs": "200",
        "keyward:revocationFreshnessMs": "800",
        "keyward:clockToleranceSeconds": "3",
        "keyward:removalPolicy": "destroy",
        "keyward:sessionsRotationPeriodDays": "14",
        "keyward:sessionsMaxLifetimeSeconds": "86400",
        "keyward:authorizerCacheTtlSeconds": "1",
      },
    });
    const { stack } = keywardStackFromContext(app);
    expect([stack.stackName, stack.region]).toEqual(["KeywardStaging", "eu-west-1"]);
    const t = Template.fromStack(stack);
    for (const vars of Object.values(environments(t)).filter(isWriter))
      expect(vars).toMatchObject({
        // The prefix comes from the stack: nothing pins production's.
        KEYWARD_SECRET_PREFIX: "keyward/KeywardStaging",
        KEYWARD_ROTATION_PERIOD_DAYS: "30",
        KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
        KEYWARD_UPSTASH_SECRET_ID:
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
        KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS: "14",
        KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS: "86400",
      });
    expect(Object.values(environments(t)).find(isVerifier)).toMatchObject({
      KEYWARD_AUDIENCE: "api",
      KEYWARD_REVOCATION_BUDGET_MS: "200",
      KEYWARD_REVOCATION_FRESHNESS_MS: "800",
      KEYWARD_CLOCK_TOLERANCE_SECONDS: "3",
    });
    t.resourceCountIs("AWS::SNS::Topic", 0);
    for (const secret of Object.values(t.findResources("AWS::SecretsManager::Secret")))
      expect(secret).toMatchObject({ DeletionPolicy: "Delete" });
    t.resourceCountIs("Custom::KeywardKeyringSecrets", 1);
    t.hasOutput("UpstashSecret", {
      Value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
    });
  });

  it("sets every function setting of docs/settings.md from its context key", () => {
    const samples: Record<string, string> = {
      issuer: "https://login.example",
      audience: "api",
      tokenType: "at+jwt",
      tokenCookie: "session",
    };
    const settings = Object.entries(SETTING_GROUPS)
      .filter(([group]) => group === "verification" || group === "policy")
      .flatMap(([, group]) => Object.entries(group as Record<string, Setting>));
    const context = Object.fromEntries(
      settings.map(([name, setting]) => [
        `keyward:${setting.context}`,
        setting.kind === "number" || setting.kind === "choice"
          ? String(setting.default)
          : setting.kind === "text"
            ? (setting.default ?? samples[name])
            : "",
      ]),
    );
    const { stack } = keywardStackFromContext(new App({ context }));
    const writer = Object.values(environments(Template.fromStack(stack))).find(isWriter);
    expect(Object.keys(writer ?? {})).toEqual(
      expect.arrayContaining(settings.map(([, setting]) => setting.env)),
    );
    expect(writer).toMatchObject({ KEYWARD_ISSUER: "https://login.example" });
  });

  it("outputs what an operator needs, each the resource it names", () => {
    const { stack, keyward } = keywardStackFromContext(new App());
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findOutputs("*")).sort()).toEqual(OUTPUTS);
    const value = (name: string) => t.findOutputs(name)[name]?.Value;
    const id = (construct: Parameters<typeof logicalId>[1]) => logicalId(stack, construct);
    expect(value("UpstashSecret")).toEqual({ Ref: id(keyward.upstashSecret) });
    expect(value("UpstashReaderSecret")).toEqual({ Ref: id(keyward.upstashReaderSecret) });
    expect(value("AuthorizerArn")).toEqual({ "Fn::GetAtt": [id(keyward.authorizer), "Arn"] });
    expect(value("IssuingFunctionArn")).toEqual({ "Fn::GetAtt": [id(keyward.issuing), "Arn"] });
    expect(value("RotationFunctionName")).toEqual({ Ref: id(keyward.rotation) });
    expect(value("EventBusName")).toEqual({ Ref: id(keyward.bus) });
    expect(value("DeadLetterQueueUrl")).toEqual({ Ref: id(keyward.deadLetters) });
  });

  it("refuses a secret of the team's own given by a partial ARN (its grants would not match), naming the way to the complete one", () => {
    const app = new App({
      context: {
        "keyward:upstashSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash",
      },
    });
    expect(() => keywardStackFromContext(app)).toThrow(
      /complete ARN, ending with its 6-character suffix/,
    );
  });

  it("refuses a removal policy it does not know and a context value that is not a number", () => {
    expect(() =>
      keywardStackFromContext(new App({ context: { "keyward:removalPolicy": "snapshot" } })),
    ).toThrow('context keyward:removalPolicy must be "retain" or "destroy"');
    expect(() =>
      keywardStackFromContext(new App({ context: { "keyward:retentionDays": "a week" } })),
    ).toThrow("context keyward:retentionDays must be a number");
  });

  it("keeps in cdk.json no secret prefix, a sample API off, and CDK's recommended feature flags", () => {
    const context = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"))
      .context as Record<string, unknown>;
    expect(context["keyward:secretPrefix"]).toBeUndefined();
    expect(context["keyward:sampleApi"]).toBe(false);
    const recommended = JSON.parse(
      readFileSync(
        new URL("../../node_modules/aws-cdk-lib/recommended-feature-flags.json", import.meta.url),
        "utf8",
      ),
    ) as Record<string, unknown>;
    for (const [flag, value] of Object.entries(recommended))
      expect(context[flag], flag).toEqual(value);
  });
});

describe("docs/deploying.md, rehearsed against the synthesized stack", () => {
  const page = readFileSync(new URL("../../docs/deploying.md", import.meta.url), "utf8");
  const deployCommand = /npx cdk deploy((?: -c keyward:\w+=\S+)+)/.exec(page);
  const context = Object.fromEntries(
    [...(deployCommand?.[1] ?? "").matchAll(/-c (keyward:\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
  );
  const synth = () => {
    const { stack } = keywardStackFromContext(new App({ context }));
    return { stack, t: Template.fromStack(stack) };
  };

  it("deploys with the context it gives, and reads only outputs that exist, from that stack", () => {
    expect(context).toEqual({ "keyward:stackName": "Keyward" });
    const { stack, t } = synth();
    expect(stack.stackName).toBe("Keyward");
    const named = [...page.matchAll(/\$\(out ([A-Za-z]+)\)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThanOrEqual(8);
    const outputs = Object.keys(t.findOutputs("*"));
    for (const name of new Set(named)) expect(outputs, name).toContain(name);
    for (const m of page.matchAll(/--stack-name (\S+)/g)) expect(m[1]).toBe("Keyward");
    // The outputs table names every output.
    for (const name of OUTPUTS) expect(page, name).toContain(`\`${name}\``);
  });

  it("tells the operator to fill every secret the stack leaves empty, through its output", () => {
    const { t } = synth();
    const secrets = Object.entries(t.findResources("AWS::SecretsManager::Secret"));
    const toFill = secrets
      .filter(([, secret]) =>
        String(secret.Properties.Description).includes("fill in after deploy"),
      )
      .map(([id]) => id);
    expect([toFill.length, secrets.length]).toEqual([5, 6]);
    for (const [id, secret] of secrets.filter(([id]) => toFill.includes(id))) {
      expect(secret.Properties, id).toMatchObject({ SecretString: UNFILLED_SECRET });
      expect(secret.Properties.GenerateSecretString, id).toBeUndefined();
    }
    const filled = [...page.matchAll(/put-secret-value --secret-id "\$\(out ([A-Za-z]+)\)"/g)].map(
      (m) => m[1] as string,
    );
    const outputs = t.findOutputs("*");
    expect(
      filled.map((name) => (outputs[name]?.Value as { Ref?: string } | undefined)?.Ref).sort(),
    ).toEqual(toFill.sort());
  });

  it("deletes by hand, on teardown, exactly the prefixes the stack's functions write", () => {
    const listed = [...page.matchAll(/list-secrets --filters Key=name,Values=(\S+)/g)].map(
      (m) => m[1],
    );
    expect(listed).toEqual(["keyward/Keyward/", "keyward/Keyward-sessions/"]);
    for (const vars of Object.values(environments(synth().t)).filter(isWriter))
      expect(vars.KEYWARD_SECRET_PREFIX).toBe("keyward/Keyward");
  });

  it("gives non-CDK operators the same IAM policy as grantOperate", () => {
    const policy = JSON.parse(/```json\n([\s\S]*?)```/.exec(page)?.[1] ?? "{}") as {
      Statement: { Action: string; Resource: string; Condition: unknown }[];
    };
    expect(
      policy.Statement.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition })),
    ).toEqual([
      {
        Action: "lambda:InvokeFunctionUrl",
        Resource: "<OpsApiFunctionArn output>",
        Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
      },
      {
        Action: "lambda:InvokeFunction",
        Resource: "<OpsApiFunctionArn output>",
        Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
      },
    ]);
  });
});
