import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";
import {
  actionsOf,
  environments,
  logicalId,
  roleStatements,
  secretsArn,
  stackWith,
  statementsOf,
  TEST_ENV,
} from "../support/templates.ts";

let template: Template;
let keyward: Keyward;
let id: (construct: Parameters<typeof logicalId>[1]) => string;
const SIGNING = secretsArn("keyward/test");
const SESSIONS = secretsArn("keyward/test-sessions");
const LIST = ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"];
const READ_SECRET = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];
const OWNED = { StringEquals: { "aws:RequestTag/keyward:owner": "Test/Keyward" } };
const OWN_TAG = { StringEquals: { "secretsmanager:ResourceTag/keyward:owner": "Test/Keyward" } };

beforeAll(() => {
  const made = stackWith();
  keyward = made.keyward;
  template = made.template();
  id = (construct) => logicalId(made.stack, construct);
});

/** Each statement of a function's role (its own logs apart) as [actions, resource, condition]. */
const grants = (fn: Parameters<typeof logicalId>[1], t = template) =>
  statementsOf(t, id(fn)).map((s) => [actionsOf([s]), s.Resource, s.Condition]);

describe("what each function may do", () => {
  it("the authorizer reads the keyring and the reader's Upstash credentials, and nothing else", () => {
    expect(grants(keyward.authorizer)).toEqual([
      [LIST, "*", undefined],
      [["secretsmanager:GetSecretValue"], SIGNING, undefined],
      [READ_SECRET, { Ref: id(keyward.upstashReaderSecret) }, undefined],
    ]);
  });

  it("the ops API writes both keyrings, creating only secrets tagged as this deployment's, and never deletes", () => {
    expect(grants(keyward.opsApi)).toEqual([
      [LIST, "*", undefined],
      [["secretsmanager:GetSecretValue"], [SIGNING, SESSIONS], undefined],
      [["secretsmanager:PutSecretValue"], [SIGNING, SESSIONS], undefined],
      [["secretsmanager:CreateSecret", "secretsmanager:TagResource"], [SIGNING, SESSIONS], OWNED],
      [READ_SECRET, { Ref: id(keyward.upstashSecret) }, undefined],
      [READ_SECRET, { Ref: id(keyward.operatorsSecret) }, undefined],
      [["events:PutEvents"], { "Fn::GetAtt": [id(keyward.bus), "Arn"] }, undefined],
    ]);
  });

  it("the rotation function also deletes, only secrets carrying this deployment's owner tag", () => {
    expect(grants(keyward.rotation)).toEqual([
      [LIST, "*", undefined],
      [["secretsmanager:GetSecretValue"], [SIGNING, SESSIONS], undefined],
      [["secretsmanager:PutSecretValue"], [SIGNING, SESSIONS], undefined],
      [["secretsmanager:CreateSecret", "secretsmanager:TagResource"], [SIGNING, SESSIONS], OWNED],
      [["secretsmanager:DeleteSecret"], [SIGNING, SESSIONS], OWN_TAG],
      [READ_SECRET, { Ref: id(keyward.upstashSecret) }, undefined],
      [["events:PutEvents"], { "Fn::GetAtt": [id(keyward.bus), "Arn"] }, undefined],
    ]);
    for (const fn of [keyward.authorizer, keyward.opsApi, keyward.issuing])
      expect(actionsOf(statementsOf(template, id(fn)))).not.toContain(
        "secretsmanager:DeleteSecret",
      );
  });

  it("the issuing function reads the keyring, its clients, the refresh secret and the issuer's Upstash credentials, and puts events: it cannot write the keyring", () => {
    expect(grants(keyward.issuing)).toEqual([
      [LIST, "*", undefined],
      [["secretsmanager:GetSecretValue"], SIGNING, undefined],
      [READ_SECRET, { Ref: id(keyward.issuingClientsSecret) }, undefined],
      [READ_SECRET, { Ref: id(keyward.refreshSecret) }, undefined],
      [READ_SECRET, { Ref: id(keyward.upstashIssuerSecret) }, undefined],
      [["events:PutEvents"], { "Fn::GetAtt": [id(keyward.bus), "Arn"] }, undefined],
    ]);
  });

  it("the public JWKS function may read the published public keys and the readers' Upstash credentials (to record its consumers), and nothing else: never the keyring", () => {
    const made = stackWith({ algorithm: "ES256" });
    const t = made.template();
    const statements = statementsOf(t, logicalId(made.stack, made.keyward.jwks as never));
    expect(statements.map((s) => [actionsOf([s]), s.Resource])).toEqual([
      [
        ["secretsmanager:GetSecretValue"],
        {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":secretsmanager:eu-west-1:123456789012:secret:keyward/test/public/jwks-??????",
            ],
          ],
        },
      ],
      [READ_SECRET, { Ref: logicalId(made.stack, made.keyward.upstashReaderSecret) }],
    ]);
  });

  it("the edge Worker's user reads the keyring and nothing else", () => {
    const users = template.findResources("AWS::IAM::User");
    const [userId] = Object.keys(users);
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) => JSON.stringify(policy.Properties.Users ?? []).includes(userId ?? "-"))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: LIST, Effect: "Allow", Resource: "*" },
      { Action: "secretsmanager:GetSecretValue", Effect: "Allow", Resource: SIGNING },
    ]);
  });

  it("with a customer-managed key: the writers create the keyrings' secrets with it and may encrypt, every reader may decrypt", () => {
    const app = new App();
    const stack = new Stack(app, "Keyed", { env: TEST_ENV });
    const key = new Key(stack, "KeyringKey");
    const k = new Keyward(stack, "Keyward", { secretPrefix: "keyward/keyed", encryptionKey: key });
    const t = Template.fromStack(stack);
    const keyArn = { "Fn::GetAtt": [logicalId(stack, key), "Arn"] };
    const kms = (fn: Parameters<typeof logicalId>[1]) =>
      actionsOf(
        statementsOf(t, logicalId(stack, fn)).filter(
          (s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn),
        ),
      );
    expect(kms(k.authorizer)).toEqual(["kms:Decrypt"]);
    expect(kms(k.issuing)).toEqual(expect.arrayContaining(["kms:Decrypt"]));
    expect(kms(k.rotation)).toEqual(
      expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"]),
    );
    expect(environments(t)[logicalId(stack, k.rotation)]).toMatchObject({
      KEYWARD_KMS_KEY_ID: keyArn,
    });
    for (const secret of Object.values(t.findResources("AWS::SecretsManager::Secret")))
      expect(secret.Properties.KmsKeyId).toEqual(keyArn);
  });
});

describe("what a team's own functions are granted", () => {
  function teamRole(name: string) {
    const made = stackWith({}, name);
    const role = new Role(made.stack, `${name}Role`, {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    });
    return { ...made, role };
  }

  it("grantIssue: reading the keyring (keyward/issuer)", () => {
    const { stack, keyward: k, role } = teamRole("Login");
    k.grantIssue(role);
    const statements = roleStatements(stack, role);
    expect(actionsOf(statements)).toEqual([...LIST, "secretsmanager:GetSecretValue"].sort());
    expect(JSON.stringify(statements)).toContain(":secret:keyward/login/*");
    expect(JSON.stringify(statements)).not.toContain("keyward/login-sessions");
  });

  it("grantSeal: the sessions keyring and the reader's Upstash credentials, never the signing keys", () => {
    const { stack, keyward: k, role } = teamRole("Shop");
    k.grantSeal(role);
    const text = JSON.stringify(roleStatements(stack, role));
    expect(text).toContain(":secret:keyward/shop-sessions/*");
    expect(text).not.toContain(":secret:keyward/shop/*");
    expect(text).toContain(logicalId(stack, k.upstashReaderSecret));
    expect(text).not.toContain(logicalId(stack, k.upstashSecret));
  });

  it("grantOperate: invoking the ops API through its URL, nothing else", () => {
    const { stack, keyward: k, role } = teamRole("Ops");
    k.grantOperate(role);
    const fn = { "Fn::GetAtt": [logicalId(stack, k.opsApi), "Arn"] };
    expect(roleStatements(stack, role)).toEqual([
      {
        Action: "lambda:InvokeFunctionUrl",
        Effect: "Allow",
        Resource: fn,
        Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
      },
      {
        Action: "lambda:InvokeFunction",
        Effect: "Allow",
        Resource: fn,
        Condition: { Bool: { "lambda:InvokedViaFunctionUrl": true } },
      },
    ]);
  });
});
