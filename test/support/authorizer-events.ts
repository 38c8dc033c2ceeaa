/**
 * Authorizer events as AWS documents them (API Gateway developer guide: "Input to an API Gateway
 * Lambda authorizer" for REST TOKEN and REQUEST, and "Working with AWS Lambda authorizers for
 * HTTP APIs", payload format version 2.0), with the token and cookies filled in by the test.
 */
const ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request";

export function restTokenEvent(authorization: string) {
  return { type: "TOKEN", authorizationToken: authorization, methodArn: ARN };
}

export function restRequestEvent(headers: Record<string, string>) {
  return {
    type: "REQUEST",
    methodArn: ARN,
    resource: "/request",
    path: "/request",
    httpMethod: "GET",
    headers: {
      "X-AMZ-Date": "20170718T062915Z",
      Accept: "*/*",
      HeaderAuth1: "headerValue1",
      ...headers,
    },
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: { QueryString1: "queryValue1" },
    pathParameters: {},
    stageVariables: { StageVar1: "stageValue1" },
    requestContext: {
      path: "/request",
      accountId: "123456789012",
      resourceId: "05c7jb",
      stage: "test",
      requestId: "...",
      identity: { apiKey: "...", sourceIp: "..." },
      resourcePath: "/request",
      httpMethod: "GET",
      apiId: "abcdef123",
    },
  };
}

export function httpApiEvent(headers: Record<string, string>, cookies?: string[]) {
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: ARN,
    identitySource: ["user1", "123"],
    routeKey: "$default",
    rawPath: "/my/path",
    rawQueryString: "parameter1=value1&parameter1=value2&parameter2=value",
    ...(cookies === undefined ? {} : { cookies }),
    headers: {
      header1: "value1",
      header2: "value2",
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    },
    queryStringParameters: { parameter1: "value1,value2", parameter2: "value" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api-id",
      domainName: "id.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "id",
      http: {
        method: "POST",
        path: "/my/path",
        protocol: "HTTP/1.1",
        sourceIp: "IP",
        userAgent: "agent",
      },
      requestId: "id",
      routeKey: "$default",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: 1583348638390,
    },
    pathParameters: { parameter1: "value1" },
    stageVariables: { stageVariable1: "value1", stageVariable2: "value2" },
  };
}

export const METHOD_ARN = ARN;
