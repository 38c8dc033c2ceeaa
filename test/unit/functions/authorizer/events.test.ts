import { describe, expect, it } from "vitest";
import { parseEvent } from "../../../../functions/authorizer/events.ts";
import { extractToken } from "../../../../functions/authorizer/token-source.ts";
import {
  httpApiEvent,
  METHOD_ARN,
  restRequestEvent,
  restTokenEvent,
} from "../../../support/authorizer-events.ts";

describe("parseEvent", () => {
  it("recognises each of API Gateway's three authorizer events by its shape", () => {
    expect(parseEvent(restTokenEvent("Bearer t"))).toEqual({
      kind: "rest-token",
      methodArn: METHOD_ARN,
      authorizationToken: "Bearer t",
    });
    expect(
      parseEvent(restRequestEvent({ Authorization: "Bearer t", Cookie: "a=1; s=tok" })),
    ).toMatchObject({
      kind: "rest-request",
      headers: { authorization: "Bearer t" },
      cookies: ["a=1", "s=tok"],
    });
    expect(parseEvent(httpApiEvent({ Authorization: "Bearer t" }, ["s=tok"]))).toMatchObject({
      kind: "http-v2",
      routeArn: METHOD_ARN,
      cookies: ["s=tok"],
    });
  });

  it("recognises nothing else", () => {
    for (const event of [
      null,
      "x",
      {},
      { type: "TOKEN" },
      { version: "1.0", type: "REQUEST" },
      { methodArn: "a", type: "OTHER" },
    ]) {
      expect(parseEvent(event)).toBeUndefined();
    }
  });
});

describe("extractToken", () => {
  const bearer = { header: "authorization" };

  it("takes a Bearer token from Authorization, whatever the scheme's case", () => {
    expect(extractToken(parseEvent(restTokenEvent("Bearer abc"))!, bearer)).toBe("abc");
    expect(extractToken(parseEvent(restTokenEvent("bearer   abc"))!, bearer)).toBe("abc");
    expect(extractToken(parseEvent(httpApiEvent({ authorization: "BEARER abc" }))!, bearer)).toBe(
      "abc",
    );
  });

  it("takes nothing from Authorization without the Bearer scheme", () => {
    expect(extractToken(parseEvent(restTokenEvent("Basic dXNlcjpwYXNz"))!, bearer)).toBeUndefined();
    expect(extractToken(parseEvent(restTokenEvent("abc"))!, bearer)).toBeUndefined();
    expect(extractToken(parseEvent(restTokenEvent("Bearer a b"))!, bearer)).toBeUndefined();
  });

  it("reads a configured header, with or without Bearer", () => {
    const source = { header: "x-api-token" };
    expect(extractToken(parseEvent(restRequestEvent({ "X-Api-Token": "abc" }))!, source)).toBe(
      "abc",
    );
    expect(extractToken(parseEvent(httpApiEvent({ "x-api-token": "Bearer abc" }))!, source)).toBe(
      "abc",
    );
  });

  it("falls back to a configured cookie, in REST Cookie headers and HTTP API cookie lists", () => {
    const source = { header: "authorization", cookie: "session" };
    expect(
      extractToken(parseEvent(restRequestEvent({ Cookie: "theme=dark; session=abc" }))!, source),
    ).toBe("abc");
    expect(extractToken(parseEvent(httpApiEvent({}, ["theme=dark", "session=abc"]))!, source)).toBe(
      "abc",
    );
    expect(
      extractToken(parseEvent(httpApiEvent({}, ["sessionx=abc", "session="]))!, source),
    ).toBeUndefined();
    expect(
      extractToken(parseEvent(httpApiEvent({}))!, { header: "authorization" }),
    ).toBeUndefined();
  });
});
