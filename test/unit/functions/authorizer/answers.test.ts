import { describe, expect, it } from "vitest";
import { AllowPolicies } from "../../../../functions/authorizer/answers.ts";

describe("AllowPolicies", () => {
  it("allows exactly the request's method, with one frozen policy per method, made once", () => {
    const policies = new AllowPolicies(2);
    const get = policies.for("arn:aws:execute-api:us-east-1:1:api/prod/GET/a");
    expect(get).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Action: "execute-api:Invoke",
          Effect: "Allow",
          Resource: "arn:aws:execute-api:us-east-1:1:api/prod/GET/a",
        },
      ],
    });
    expect(Object.isFrozen(get)).toBe(true);
    expect(policies.for("arn:aws:execute-api:us-east-1:1:api/prod/GET/a")).toBe(get);
    expect(policies.for("arn:aws:execute-api:us-east-1:1:api/prod/POST/a")).not.toEqual(get);
  });

  it("stays within its bound, starting again past it, and still answers each method rightly", () => {
    const policies = new AllowPolicies(2);
    const arns = ["a", "b", "c", "a"].map(
      (m) => `arn:aws:execute-api:us-east-1:1:api/prod/GET/${m}`,
    );
    for (const arn of arns)
      expect(policies.for(arn)).toMatchObject({ Statement: [{ Resource: arn }] });
  });
});
