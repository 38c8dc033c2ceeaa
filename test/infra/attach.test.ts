import { Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { LambdaIntegration, RestApi } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { logicalId, stackWith } from "../support/templates.ts";

describe("keyward's authorizer on a team's own APIs", () => {
  it("attaches to a REST API (REQUEST) and an HTTP API (payload 2.0, simple responses), caches off", () => {
    const { stack, keyward } = stackWith({}, "Team");
    const backend = new LambdaFunction(stack, "Backend", {
      runtime: Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: Code.fromInline("exports.handler = async () => ({ statusCode: 200 })"),
    });
    const rest = new RestApi(stack, "Rest", { cloudWatchRole: false });
    rest.root.addResource("orders").addMethod("GET", new LambdaIntegration(backend), {
      authorizer: keyward.restApiAuthorizer(stack, "KeywardRequest", {
        type: "request",
        header: "X-Token",
      }),
    });
    const http = new HttpApi(stack, "Http");
    http.addRoutes({
      path: "/orders",
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration("Orders", backend),
      authorizer: keyward.httpApiAuthorizer("KeywardHttp"),
    });
    const t = Template.fromStack(stack);
    const authorizerArn = { "Fn::GetAtt": [logicalId(stack, keyward.authorizer), "Arn"] };
    t.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "method.request.header.X-Token",
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        "Fn::Join": Match.arrayWith([Match.arrayWith([authorizerArn])]),
      }),
    });
    t.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      AuthorizationType: "CUSTOM",
    });
    t.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: ["$request.header.Authorization"],
    });
    t.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "GET /orders",
      AuthorizationType: "CUSTOM",
    });
    t.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: authorizerArn,
      Principal: "apigateway.amazonaws.com",
    });
  });

  it("refuses a result cache over 1 s (it would outlive revocations), takes 1 s, and reads the tokenHeader prop", () => {
    expect(() => stackWith({ authorizerCacheTtl: Duration.seconds(5) })).toThrow(
      "resultsCacheTtl of 5 s is refused",
    );
    const { stack, keyward } = stackWith({
      authorizerCacheTtl: Duration.seconds(1),
      tokenHeader: "X-Token",
    });
    expect(() =>
      keyward.httpApiAuthorizer("Slow", { resultsCacheTtl: Duration.minutes(5) }),
    ).toThrow("resultsCacheTtl of 300 s is refused");
    const rest = new RestApi(stack, "Rest", { cloudWatchRole: false });
    rest.root.addMethod("GET", undefined, { authorizer: keyward.restApiAuthorizer(stack, "Auth") });
    Template.fromStack(stack).hasResourceProperties("AWS::ApiGateway::Authorizer", {
      AuthorizerResultTtlInSeconds: 1,
      IdentitySource: "method.request.header.X-Token",
    });
  });
});
