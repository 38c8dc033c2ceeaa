import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keywardStackFromContext } from "../../../infra/stack.ts";
import { signingKeyTags } from "../../../shared/keyring-store/kms-custody.ts";
import { KmsKeys, KmsUnavailable } from "../../../shared/keyring-store/kms-keys.ts";
import { motoClientConfig } from "../../support/aws.ts";
import type { RunningProcess } from "../../support/processes.ts";
import { startMoto } from "../../support/services.ts";
import { logicalId, resolvedForMoto, statementsOf } from "../../support/templates.ts";

let moto: { url: string; process: RunningProcess };
beforeAll(async () => {
  // A moto of its own: this test turns its IAM checks on, which the shared one must not have.
  moto = await startMoto();
}, 60_000);
afterAll(() => moto?.process.stop());

describe("who may use a KMS keyring's keys (the synthesized IAM policies, enforced by moto)", () => {
  it("the issuer's role is denied kms:ScheduleKeyDeletion, the authorizer's role kms:Sign and kms:DisableKey", async () => {
    const app = new App({
      context: {
        "keyward:stackName": "Shop",
        "keyward:region": "us-east-1",
        "keyward:algorithm": "ES256",
        "keyward:signingKeys": "kms",
      },
    });
    const { stack, keyward } = keywardStackFromContext(app);
    const template = Template.fromStack(stack);
    const policyOf = (fn: LambdaFunction) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: resolvedForMoto(statementsOf(template, logicalId(stack, fn))),
      });

    expect(policyOf(keyward.issuing)).toContain('"kms:Sign"');
    const admin = motoClientConfig(moto.url);
    const kmsAs = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      new KmsKeys({ region: "us-east-1", credentials, endpoint: moto.url });
    const arn = await kmsAs(admin.credentials).create(
      "keyward signing key",
      signingKeyTags(keyward.secretPrefix),
    );
    const iam = new IAMClient(admin);
    const userFor = async (name: string, fn: LambdaFunction) => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: name,
          PolicyName: name,
          PolicyDocument: policyOf(fn),
        }),
      );
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
      return kmsAs({
        accessKeyId: key?.AccessKeyId ?? "",
        secretAccessKey: key?.SecretAccessKey ?? "",
      });
    };
    const issuer = await userFor("issuer", keyward.issuing);
    const authorizer = await userFor("authorizer", keyward.authorizer);
    // From here on moto checks every request against the caller's IAM policies.
    await fetch(`${moto.url}/moto-api/reset-auth`, { method: "POST", body: "0" });

    // Denied by the policies themselves: neither statement names these actions. (moto knows no
    // resource tags when it evaluates a condition, so the issuer's own kms:Sign, granted only on
    // keys tagged with its keyring, is asserted on the template: test/infra/kms-grants.test.ts.)
    const issuerDeletes = await issuer.scheduleDeletion(arn).catch((e: unknown) => e);
    expect(issuerDeletes).toBeInstanceOf(KmsUnavailable);
    expect(String(issuerDeletes)).toContain("ScheduleKeyDeletion answered 403");
    const authorizerSigns = await authorizer.sign(arn, "header.payload").catch((e: unknown) => e);
    expect(authorizerSigns).toBeInstanceOf(KmsUnavailable);
    expect(String(authorizerSigns)).toContain("Sign answered 403");
    await expect(authorizer.disable(arn)).rejects.toThrow("DisableKey answered 403");
  }, 60_000);
});
