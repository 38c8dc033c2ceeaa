import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { CfnRole, Role } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { Keyward, type KeywardProps } from "../../infra/keyward.ts";

export const TEST_ENV = { account: "123456789012", region: "eu-west-1" } as const;

/** A stack with keyward in it (prefix `keyward/<name lower-cased>` unless props say otherwise). */
export function stackWith(props: KeywardProps = {}, name = "Test") {
  const app = new App();
  const stack = new Stack(app, name, { env: TEST_ENV });
  const keyward = new Keyward(stack, "Keyward", {
    secretPrefix: `keyward/${name.toLowerCase()}`,
    ...props,
  });
  return { app, stack, keyward, template: () => Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** The keyward variables of each function, by the function's logical id. */
export function environments(t: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(t.findResources("AWS::Lambda::Function")).map(([id, fn]) => [
      id,
      (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    ]),
  );
}

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Condition?: unknown;
}

/** Every IAM statement of the policies attached to the role with logical id `roleId`. */
function statementsOfRole(t: Template, roleId: string): Statement[] {
  return Object.values(t.findResources("AWS::IAM::Policy"))
    .filter((policy) =>
      ((policy.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** Every IAM statement attached to a function's role, but the writing of its own logs. */
export function statementsOf(t: Template, functionId: string): Statement[] {
  const fn = t.findResources("AWS::Lambda::Function")[functionId];
  if (fn === undefined) throw new Error(`no function ${functionId}`);
  const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return statementsOfRole(t, role).filter((s) => !JSON.stringify(s.Action).includes("logs:"));
}

/** Every IAM statement attached to a role of `stack`. */
export function roleStatements(stack: Stack, role: Role): Statement[] {
  return statementsOfRole(
    Template.fromStack(stack),
    stack.getLogicalId(role.node.defaultChild as CfnRole),
  );
}

export const actionsOf = (statements: readonly { Action: string | string[] }[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

/** The rotation function and the ops API: they publish events and are no issuing endpoint. */
export const isWriter = (vars: object) =>
  "KEYWARD_EVENT_BUS" in vars && !("KEYWARD_ISSUING_CLIENTS_SECRET_ID" in vars);

/** The authorizer and the issuing endpoint: they read the verifiers' settings. */
export const isVerifier = (vars: object) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars;

/** The ARN pattern of a keyring's secrets under `prefix`, as the template writes it. */
export function secretsArn(prefix: string, region: string = TEST_ENV.region) {
  return {
    "Fn::Join": [
      "",
      [
        "arn:",
        { Ref: "AWS::Partition" },
        `:secretsmanager:${region}:${TEST_ENV.account}:secret:${prefix}/*`,
      ],
    ],
  };
}

/** The template's value with the pseudo parameters moto's account answers to. */
export function resolvedForMoto(value: unknown): unknown {
  if (typeof value === "string" || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(resolvedForMoto);
  const object = value as Record<string, unknown>;
  if (object.Ref === "AWS::Partition") return "aws";
  if (object.Ref === "AWS::AccountId") return "123456789012";
  if (object.Ref === "AWS::Region") return "us-east-1";
  if (object.Ref !== undefined || object["Fn::GetAtt"] !== undefined)
    return "arn:aws:events:us-east-1:123456789012:event-bus/other";
  if (Array.isArray(object["Fn::Join"])) {
    const [delimiter, items] = object["Fn::Join"] as [string, unknown[]];
    return items.map(resolvedForMoto).join(delimiter);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolvedForMoto(v)]));
}
