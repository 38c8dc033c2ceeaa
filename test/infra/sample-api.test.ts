import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { logicalId, stackWith, statementsOf } from "../support/templates.ts";

describe("the sample API (sampleApi: true)", () => {
  it("is off unless asked: no public route in a production deploy", () => {
    stackWith().template().resourceCountIs("AWS::ApiGateway::RestApi", 0);
  });

  it("puts the authorizer in front of GET /hello with its result cache off, logs every request and is throttled", () => {
    const { stack, keyward, template } = stackWith({ sampleApi: true });
    const t = template();
    const authorizerArn = { "Fn::GetAtt": [logicalId(stack, keyward.authorizer), "Arn"] };
    t.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "TOKEN",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        "Fn::Join": Match.arrayWith([Match.arrayWith([authorizerArn])]),
      }),
    });
    t.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      AuthorizationType: "CUSTOM",
      Integration: Match.objectLike({ Type: "AWS_PROXY" }),
    });
    t.hasResourceProperties("AWS::ApiGateway::Resource", { PathPart: "hello" });
    t.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "sample",
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 })],
    });
    // Its backend does nothing but write its logs.
    expect(statementsOf(t, logicalId(stack, keyward.sampleBackend as never))).toEqual([]);
  });
});
