import { describe, expect, it } from "vitest";
import { greeting } from "../../../../functions/sample/greeting.ts";

describe("the sample route", () => {
  it("answers with the caller the authorizer allowed, from the REST proxy event's context", () => {
    const answer = greeting({
      requestContext: {
        authorizer: {
          principalId: "alice",
          sub: "alice",
          kid: "k1",
          keyStatus: "current",
          jti: "j",
        },
      },
    });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      message: "allowed by the keyward authorizer",
      sub: "alice",
      kid: "k1",
      keyStatus: "current",
    });
  });

  it("answers with nulls, not an error, when there is no authorizer context", () => {
    expect(JSON.parse(greeting({}).body)).toMatchObject({ sub: null, kid: null });
  });
});
