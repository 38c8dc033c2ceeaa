import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import { acknowledgeFunction } from "./nag.ts";

/** The functions keyward deploys, each prebuilt to dist/lambda/<name>/ (scripts/build-lambdas.mjs). */
export type LambdaName =
  | "authorizer"
  | "ops-api"
  | "issuer-api"
  | "jwks"
  | "rotation"
  | "teardown"
  | "sample";

/** Where the prebuilt code of `name` is: beside this module in the package, or the checkout's dist/. */
export function lambdaCode(name: LambdaName): string {
  const here = new URL(".", import.meta.url);
  for (const candidate of [`lambda/${name}`, `../dist/lambda/${name}`]) {
    const path = fileURLToPath(new URL(candidate, here));
    if (existsSync(path)) return path;
  }
  throw new ConfigInvalid([
    `the prebuilt code of the ${name} function is missing: run node scripts/build-lambdas.mjs (npm install does)`,
  ]);
}

export interface KeywardFunctionProps {
  readonly name: LambdaName;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One of keyward's functions: Node 22 on arm64, its prebuilt code, 10 s, a month of logs in a log
 * group of its own, and a role of its own that may write to that log group and nothing else until
 * granted more (no AWS managed policy: CloudWatch Logs only where its logs go).
 */
export function keywardFunction(
  scope: Construct,
  id: string,
  props: KeywardFunctionProps,
): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    description: `keyward: the ${props.name} function`,
  });
  logGroup.grantWrite(role);
  const fn = new LambdaFunction(scope, id, {
    code: Code.fromAsset(lambdaCode(props.name)),
    handler: "index.handler",
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: Duration.seconds(10),
    logGroup,
    role,
    environment: props.environment,
    ...(props.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
  });
  acknowledgeFunction(fn);
  return fn;
}
