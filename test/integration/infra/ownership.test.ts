import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keywardStackFromContext } from "../../../infra/stack.ts";
import { motoClientConfig } from "../../support/aws.ts";
import type { RunningProcess } from "../../support/processes.ts";
import { startMoto } from "../../support/services.ts";
import { logicalId, resolvedForMoto } from "../../support/templates.ts";

let moto: { url: string; process: RunningProcess };
beforeAll(async () => {
  // A moto of its own: this test turns its IAM checks on, which the shared one must not have.
  moto = await startMoto();
}, 60_000);
afterAll(() => moto?.process.stop());

describe("a staging stack cannot delete production's keyring (its synthesized IAM policy, enforced by moto)", () => {
  it("the staging rotation function's own policy is denied deleting a production secret", async () => {
    const app = new App({
      context: {
        "keyward:stackName": "Staging",
        "keyward:region": "us-east-1",
        "keyward:removalPolicy": "destroy",
      },
    });
    const { stack, keyward } = keywardStackFromContext(app);
    const t = Template.fromStack(stack);
    const fn = t.findResources("AWS::Lambda::Function")[logicalId(stack, keyward.rotation)];
    if (fn === undefined) throw new Error("no rotation function");
    const role = (fn.Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const statements = Object.values(t.findResources("AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(JSON.stringify(statements)).toContain("secretsmanager:DeleteSecret");

    const admin = motoClientConfig(moto.url);
    const prod = await new SecretsManagerClient(admin).send(
      new CreateSecretCommand({
        Name: "keyward/Keyward/keys/k1",
        SecretString: "{}",
        Tags: [{ Key: "keyward:owner", Value: "Keyward/Keyward" }],
      }),
    );
    const iam = new IAMClient(admin);
    await iam.send(new CreateUserCommand({ UserName: "staging-rotation" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "staging-rotation",
        PolicyName: "rotation",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: resolvedForMoto(statements),
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "staging-rotation" })))
      .AccessKey;
    // From here on moto checks every request against the caller's IAM policies.
    await fetch(`${moto.url}/moto-api/reset-auth`, { method: "POST", body: "0" });
    const staging = new SecretsManagerClient({
      ...admin,
      credentials: {
        accessKeyId: key?.AccessKeyId ?? "",
        secretAccessKey: key?.SecretAccessKey ?? "",
      },
    });
    // Its unscoped statement works (moto does check it, and lets it through) ...
    expect((await staging.send(new ListSecretsCommand({}))).SecretList?.length).toBe(1);
    // ... and production's secret is not its to delete. (moto answers a denial in XML, which the
    // SDK's JSON protocol cannot read: the same signed request, read as it comes.)
    const signed = new AwsClient({
      accessKeyId: key?.AccessKeyId ?? "",
      secretAccessKey: key?.SecretAccessKey ?? "",
      service: "secretsmanager",
      region: "us-east-1",
    });
    const denied = await signed.fetch(moto.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "secretsmanager.DeleteSecret",
      },
      body: JSON.stringify({ SecretId: prod.ARN, ForceDeleteWithoutRecovery: true }),
    });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("AccessDenied");
    expect((await staging.send(new ListSecretsCommand({}))).SecretList?.length).toBe(1);
  }, 60_000);
});
