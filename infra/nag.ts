import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * The cdk-nag findings (AwsSolutions and Serverless packs) keyward accepts, each with its reason,
 * on the constructs they concern; everything else the packs report is fixed instead
 * (test/infra/compliance.test.ts runs both packs and cfn-lint on every synthesized template).
 * Acknowledgements are CDK's own (`Validations`), so a team's app needs no cdk-nag to carry them.
 */
export const REASONS = {
  runtime:
    "keyward's functions are built and tested for Node 22 (nodejs22.x); the runtime moves with keyward's own releases, never under them",
  dlq: "invoked synchronously (API Gateway, function URLs, the CloudFormation provider): there is no asynchronous event to dead-letter; the rotation function's scheduled runs dead-letter on their EventBridge target",
  tracing:
    "X-Ray is off by default (it costs per trace); the functions' EMF metrics, log lines and the dashboard cover the request path",
  deadLetterQueue:
    "this queue is the dead-letter queue of the rotation schedule's target and of the alarm events' rule; a dead-letter queue of its own would only move the question",
  secretRotation:
    "these secrets hold credentials rotated outside Secrets Manager (Upstash REST tokens, operators' and issuing clients' credential hashes) or whose rotation is a decision (the refresh secret: rotating it ends every refresh-token family); docs/deploying.md says how to rotate each. The keyrings' secrets are rotated by keyward itself",
  listSecrets:
    "BatchGetSecretValue and ListSecrets take no resource (a read filtered on the keyring's prefix needs both); the values stay guarded by GetSecretValue on the keyring's own secrets",
  dataKeys:
    "Secrets Manager encrypts each secret with a data key of the keyring's KMS key: these actions come as one family (grantEncryptDecrypt), on that one key only",
  keyringSecrets:
    "a keyring is one secret per key plus its state, created at run time under the deployment's prefix: the prefix is the keyring, and deletion is further limited to secrets tagged with this deployment",
  createKey:
    "kms:CreateKey takes no resource: the key does not exist yet; the condition allows only keys tagged with this keyring, which every other KMS grant requires",
  kmsKeys:
    "a signing keyring's KMS keys are created at run time, so their ARNs are unknown at synth: the grant names them by the tag keyward:keyring (this keyring's prefix), which only this keyring's writers may set",
} as const;

/** Acknowledges `id` on `scope` (and everything under it), with its reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The id cdk-nag gives a wildcard resource finding (AwsSolutions-IAM5[Resource::…]). */
export function wildcardResource(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}

/** A CloudFormation value as cdk-nag writes it in a finding's id. */
function flatten(node: unknown): string {
  if (node === undefined) return "";
  if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/\}/g, ">");
  const object = node as Record<string, unknown>;
  if (Array.isArray(object["Fn::Join"])) {
    const [delimiter, items] = object["Fn::Join"] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (object["Fn::Sub"] !== undefined) return flatten(object["Fn::Sub"]);
  if (Array.isArray(object["Fn::GetAtt"])) {
    const [resource, attribute] = object["Fn::GetAtt"] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (object["Fn::ImportValue"] !== undefined) return flatten(object["Fn::ImportValue"]);
  if (object.Ref !== undefined) return `<${flatten(object.Ref)}>`;
  return JSON.stringify(node);
}

/** What every keyward function accepts (runtime, dead-letter target, tracing). */
export function acknowledgeFunction(fn: IConstruct): void {
  for (const id of ["AwsSolutions-L1", "Serverless-LambdaLatestVersion"])
    acknowledge(fn, id, REASONS.runtime);
  acknowledge(fn, "Serverless-LambdaDLQ", REASONS.dlq);
  acknowledge(fn, "Serverless-LambdaTracing", REASONS.tracing);
}

/**
 * CDK's custom-resource provider framework (the teardown's): its own function runs on the runtime
 * and with the managed logging policy CDK chooses.
 */
export function acknowledgeProvider(provider: IConstruct, handlerArn: string): void {
  acknowledgeFunction(provider);
  acknowledge(
    provider,
    "Serverless-LambdaDefaultMemorySize",
    "CDK's provider framework sizes its own function; it only relays an answer",
  );
  acknowledge(
    provider,
    wildcardResource(provider, `${handlerArn}:*`),
    "CDK's provider framework may invoke every version of the teardown function it relays to",
  );
  acknowledge(
    provider,
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "CDK's provider framework gives its own function the managed logging policy; it only relays the teardown's answer to CloudFormation",
  );
  acknowledge(
    provider,
    "AwsSolutions-IAM5[Action::lambda:InvokeFunction]",
    "CDK's provider framework may invoke the teardown function (and its versions)",
  );
}
