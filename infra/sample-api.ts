import { RemovalPolicy } from "aws-cdk-lib";
import {
  AccessLogFormat,
  AuthorizationType,
  type IAuthorizer,
  LambdaIntegration,
  LogGroupLogDestination,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { acknowledge } from "./nag.ts";

export interface SampleApiProps {
  /** keyward's authorizer, made in the sample's scope (`Keyward.restApiAuthorizer`). */
  readonly authorizer: (scope: Construct) => IAuthorizer;
  readonly backend: IFunction;
}

/**
 * A REST API with keyward's authorizer in front of one route, `GET /hello`: the pattern a team
 * copies for its own routes, through `Keyward.restApiAuthorizer` (result cache off, see
 * infra/attach.ts). Off unless asked (`sampleApi: true`); when on, it logs every request and is
 * throttled (100 requests a second, bursts of 50), so it is no open door left in production.
 */
export class SampleApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: SampleApiProps) {
    super(scope, id);
    const authorizer = props.authorizer(this);
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, "Api", {
      description: "keyward: a sample route behind the keyward authorizer",
      deployOptions: {
        stageName: "sample",
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 100,
        throttlingBurstLimit: 50,
      },
      // No account-wide CloudWatch role for API Gateway as a side effect of a sample.
      cloudWatchRole: false,
    });
    this.api.root.addResource("hello").addMethod("GET", new LambdaIntegration(props.backend), {
      authorizer,
      authorizationType: AuthorizationType.CUSTOM,
    });
    const reasons: Record<string, string> = {
      "AwsSolutions-APIG2": "GET /hello takes no body or parameters to validate",
      "AwsSolutions-APIG3":
        "a sample route: a web ACL is the team's choice for its own APIs (docs/deploying.md)",
      "AwsSolutions-APIG6":
        "execution logging needs an account-wide API Gateway role, which a sample must not create; access logs are on",
      "AwsSolutions-COG4": "the route is protected by keyward's own authorizer: that is the sample",
      "Serverless-APIGWXrayEnabled": "X-Ray is off by default (it costs per trace)",
    };
    for (const [rule, reason] of Object.entries(reasons)) acknowledge(this, rule, reason);
  }
}
