import { Duration } from "aws-cdk-lib";
import {
  AuthorizationType,
  LambdaIntegration,
  RestApi,
  TokenAuthorizer,
} from "aws-cdk-lib/aws-apigateway";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface SampleApiProps {
  readonly authorizer: IFunction;
  readonly backend: IFunction;
}

/**
 * A REST API with keyward's authorizer in front of one route, `GET /hello`: the pattern a team
 * copies for its own routes. The authorizer's result cache is off (TTL 0): API Gateway would
 * otherwise keep answering "allowed" for a cached token for up to the TTL (300 s by default) after
 * it was revoked, breaking the promise that a revocation holds within 1 s.
 */
export class SampleApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: SampleApiProps) {
    super(scope, id);
    const authorizer = new TokenAuthorizer(this, "Authorizer", {
      handler: props.authorizer,
      identitySource: "method.request.header.Authorization",
      resultsCacheTtl: Duration.seconds(0),
    });
    this.api = new RestApi(this, "Api", {
      description: "keyward: a sample route behind the keyward authorizer",
      deployOptions: { stageName: "sample" },
      // No account-wide CloudWatch role for API Gateway as a side effect of a sample.
      cloudWatchRole: false,
    });
    this.api.root.addResource("hello").addMethod("GET", new LambdaIntegration(props.backend), {
      authorizer,
      authorizationType: AuthorizationType.CUSTOM,
    });
  }
}
