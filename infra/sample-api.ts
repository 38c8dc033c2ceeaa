import {
  AuthorizationType,
  type IAuthorizer,
  LambdaIntegration,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface SampleApiProps {
  /** keyward's authorizer, made in the sample's scope (`Keyward.restApiAuthorizer`). */
  readonly authorizer: (scope: Construct) => IAuthorizer;
  readonly backend: IFunction;
}

/**
 * A REST API with keyward's authorizer in front of one route, `GET /hello`: the pattern a team
 * copies for its own routes, through `Keyward.restApiAuthorizer` (result cache off, see
 * infra/attach.ts).
 */
export class SampleApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: SampleApiProps) {
    super(scope, id);
    const authorizer = props.authorizer(this);
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
