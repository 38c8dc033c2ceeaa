import { handle } from "hono/aws-lambda";
import { describe, expect, it } from "vitest";
import { CREDENTIALS, opsFixture } from "../../../support/ops.ts";

/** A Lambda Function URL event (payload format 2.0), as AWS documents it. */
function functionUrlEvent(
  method: string,
  path: string,
  body?: unknown,
  credential = CREDENTIALS.admin,
) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path.split("?")[0],
    rawQueryString: path.split("?")[1] ?? "",
    headers: {
      authorization: `Bearer ${credential}`,
      "content-type": "application/json",
      host: "abc.lambda-url.us-east-1.on.aws",
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc",
      domainName: "abc.lambda-url.us-east-1.on.aws",
      domainPrefix: "abc",
      http: {
        method,
        path: path.split("?")[0],
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "keyward-cli",
      },
      requestId: "id",
      routeKey: "$default",
      stage: "$default",
      time: "21/Nov/2026:10:00:00 +0000",
      timeEpoch: 1795255200000,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body), isBase64Encoded: false }),
  };
}

/** An API Gateway REST proxy event (payload format 1.0). */
function restApiEvent(method: string, path: string, body?: unknown) {
  return {
    resource: "/{proxy+}",
    path,
    httpMethod: method,
    headers: {
      Authorization: `Bearer ${CREDENTIALS.admin}`,
      "Content-Type": "application/json",
      Host: "api.example.com",
    },
    multiValueHeaders: {
      Authorization: [`Bearer ${CREDENTIALS.admin}`],
      "Content-Type": ["application/json"],
      Host: ["api.example.com"],
    },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourcePath: "/{proxy+}",
      httpMethod: method,
      path: `/prod${path}`,
      stage: "prod",
      requestId: "id",
      identity: { sourceIp: "203.0.113.7" },
    },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe("the ops API through Hono's AWS Lambda adapter", () => {
  it("serves Function URL requests: a revocation, then its check", async () => {
    const { app } = await opsFixture();
    const handler = handle(app) as (
      event: unknown,
    ) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
    const revoked = await handler(
      functionUrlEvent("POST", "/v1/revocations", { sub: "alice", reason: "compromise" }),
    );
    expect(revoked.statusCode).toBe(201);
    expect(JSON.parse(revoked.body)).toMatchObject({ revoked: true, rule: "subject" });
    const check = await handler(functionUrlEvent("GET", "/v1/revocations/check?sub=alice"));
    expect(JSON.parse(check.body)).toMatchObject({ revoked: true, rule: "subject" });
  });

  it("answers a wrong credential over a Function URL with 401 JSON", async () => {
    const { app } = await opsFixture();
    const handler = handle(app) as (
      event: unknown,
    ) => Promise<{ statusCode: number; body: string }>;
    const answer = await handler(functionUrlEvent("GET", "/v1/keys", undefined, "wrong"));
    expect(answer.statusCode).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: "unauthorized", message: expect.any(String) },
    });
  });

  it("serves API Gateway REST proxy requests", async () => {
    const { app } = await opsFixture();
    const handler = handle(app) as (
      event: unknown,
    ) => Promise<{ statusCode: number; body: string }>;
    const rotated = await handler(restApiEvent("POST", "/v1/keys/rotate", { reason: "quarterly" }));
    expect(rotated.statusCode).toBe(202);
    const keys = await handler(restApiEvent("GET", "/v1/keys"));
    expect(JSON.parse(keys.body).keys.map((k: { status: string }) => k.status)).toEqual([
      "current",
      "pending",
    ]);
  });
});
