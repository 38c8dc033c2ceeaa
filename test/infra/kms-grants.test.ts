import { App, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";
import { KeywardRegion } from "../../infra/region.ts";
import {
  actionsOf,
  logicalId,
  roleStatements,
  stackWith,
  statementsOf,
  TEST_ENV,
} from "../support/templates.ts";

type Statement = ReturnType<typeof statementsOf>[number];

const KEYS = {
  "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":kms:eu-west-1:123456789012:key/*"]],
};
const TAGGED = { StringEquals: { "aws:ResourceTag/keyward:keyring": "keyward/test" } };
const REQUESTED = { StringEquals: { "aws:RequestTag/keyward:keyring": "keyward/test" } };
const FOLLOW = ["kms:DescribeKey", "kms:DisableKey", "kms:EnableKey", "kms:GetPublicKey"];

let made: ReturnType<typeof stackWith>;
let template: ReturnType<ReturnType<typeof stackWith>["template"]>;
let keyward: Keyward;
let statements: (fn: Parameters<typeof logicalId>[1]) => Statement[];

beforeAll(() => {
  made = stackWith({ algorithm: "ES256", signingKeys: "kms" });
  keyward = made.keyward;
  template = made.template();
  statements = (fn) => statementsOf(template, logicalId(made.stack, fn));
});

const kmsOnly = (list: readonly Statement[]) =>
  list
    .filter((s) => JSON.stringify(s.Action).includes("kms:"))
    .map((s) => [actionsOf([s]), s.Resource, s.Condition]);

describe('signingKeys: "kms": who may do what with the keys', () => {
  it("the issuing endpoint may kms:Sign, only with keys tagged with this keyring, and nothing else in KMS", () => {
    expect(kmsOnly(statements(keyward.issuing))).toEqual([[["kms:Sign"], KEYS, TAGGED]]);
  });

  it("a team's login function given grantIssue may sign the same way", () => {
    const login = stackWith({ algorithm: "ES256", signingKeys: "kms" }, "Login");
    const role = new Role(login.stack, "TeamLogin", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    });
    login.keyward.grantIssue(role);
    expect(kmsOnly(roleStatements(login.stack, role))).toEqual([
      [
        ["kms:Sign"],
        KEYS,
        { StringEquals: { "aws:ResourceTag/keyward:keyring": "keyward/login" } },
      ],
    ]);
  });

  it("the rotation function creates keys tagged with this keyring, follows them, and alone schedules their deletion; it never signs", () => {
    expect(kmsOnly(statements(keyward.rotation))).toEqual([
      [["kms:CreateKey"], "*", REQUESTED],
      [["kms:TagResource"], KEYS, REQUESTED],
      [[...FOLLOW, "kms:ScheduleKeyDeletion"].sort(), KEYS, TAGGED],
    ]);
  });

  it("the ops API creates and follows keys (an emergency's new key, disabling the compromised ones) but neither signs nor deletes", () => {
    expect(kmsOnly(statements(keyward.opsApi))).toEqual([
      [["kms:CreateKey"], "*", REQUESTED],
      [["kms:TagResource"], KEYS, REQUESTED],
      [FOLLOW, KEYS, TAGGED],
    ]);
  });

  it("verifiers (the authorizer, the public JWKS, the edge's reader) hold nothing of KMS", () => {
    expect(kmsOnly(statements(keyward.authorizer))).toEqual([]);
    if (keyward.jwks === undefined) throw new Error("an ES256 keyring serves a public JWKS");
    expect(kmsOnly(statements(keyward.jwks))).toEqual([]);
    if (keyward.edgeReader === undefined) throw new Error("the edge's reader is on by default");
    const edge = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
      JSON.stringify(p.Properties.Users ?? []).includes(
        logicalId(made.stack, keyward.edgeReader as never),
      ),
    );
    expect(edge.length).toBe(1);
    expect(JSON.stringify(edge)).not.toContain("kms:");
  });

  it("the template grants kms:Sign to issuers only, and nobody any action that imports, exports or widens", () => {
    const signers = Object.entries(template.findResources("AWS::IAM::Policy"))
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes("kms:Sign"))
      .map(([id]) => id);
    expect(signers).toEqual([expect.stringMatching(/^KeywardIssuingRoleDefaultPolicy/)]);
    const text = JSON.stringify(template.toJSON());
    for (const action of [
      "kms:*",
      "kms:ImportKeyMaterial",
      "kms:GetParametersForImport",
      "kms:PutKeyPolicy",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:CancelKeyDeletion",
    ])
      expect(text).not.toContain(`"${action}"`);
  });

  it("a deployment torn down (removalPolicy DESTROY) may schedule its keys' deletion, and nothing else in KMS", () => {
    const torn = stackWith(
      { algorithm: "ES256", signingKeys: "kms", removalPolicy: RemovalPolicy.DESTROY },
      "Torn",
    );
    const t = torn.template();
    const teardown = Object.keys(t.findResources("AWS::Lambda::Function")).find((id) =>
      id.startsWith("KeywardKeyringTeardown"),
    );
    expect(kmsOnly(statementsOf(t, teardown ?? ""))).toEqual([
      [
        ["kms:ScheduleKeyDeletion"],
        KEYS,
        { StringEquals: { "aws:ResourceTag/keyward:keyring": "keyward/torn" } },
      ],
    ]);
  });

  it("an HS256 or local-key keyring grants nothing in KMS", () => {
    const plain = stackWith({ algorithm: "ES256" }, "Plain").template();
    expect(JSON.stringify(plain.findResources("AWS::IAM::Policy"))).not.toContain('"kms:Sign"');
  });

  it("KMS keys with another algorithm fail synth, named by prop", () => {
    expect(() => stackWith({ algorithm: "EdDSA", signingKeys: "kms" }, "Ed")).toThrow(
      /signingKeys=kms holds ES256 or RS256 keys .*algorithm=ES256 or RS256, not EdDSA/,
    );
  });

  it("an issuer beside a replica may sign with the home region's keys; its authorizer holds nothing of KMS", () => {
    const app = new App();
    const home = new Stack(app, "Home", { env: TEST_ENV });
    const keys = new Keyward(home, "Keyward", {
      algorithm: "ES256",
      signingKeys: "kms",
      replicaRegions: ["us-east-1"],
    });
    const region = new KeywardRegion(app, "Replica", {
      env: { account: TEST_ENV.account, region: "us-east-1" },
      keyward: keys,
      issuer: true,
    });
    const t = Template.fromStack(region);
    const kmsOf = (fn: Parameters<typeof logicalId>[1]) =>
      kmsOnly(statementsOf(t, logicalId(region, fn)));
    if (region.issuing === undefined) throw new Error("an issuer was asked for");
    expect(kmsOf(region.issuing)).toEqual([
      [["kms:Sign"], KEYS, { StringEquals: { "aws:ResourceTag/keyward:keyring": "keyward/Home" } }],
    ]);
    expect(kmsOf(region.authorizer)).toEqual([]);
  });
});
