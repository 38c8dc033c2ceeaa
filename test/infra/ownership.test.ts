import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";
import { keywardStackFromContext } from "../../infra/stack.ts";
import { environments, isWriter, statementsOf, TEST_ENV } from "../support/templates.ts";

describe("each deployment owns its keyrings", () => {
  it("the staging recipe gets a prefix of its own, and its rotation and teardown may delete only secrets tagged as staging's", () => {
    const app = new App({
      context: { "keyward:stackName": "Staging", "keyward:removalPolicy": "destroy" },
    });
    const { stack, keyward } = keywardStackFromContext(app);
    expect(keyward.secretPrefix).toBe("keyward/Staging");
    const t = Template.fromStack(stack);
    for (const vars of Object.values(environments(t)).filter(isWriter))
      expect(vars).toMatchObject({
        KEYWARD_SECRET_PREFIX: "keyward/Staging",
        KEYWARD_OWNER: "Staging/Keyward",
      });
    const deletes = Object.keys(t.findResources("AWS::Lambda::Function")).flatMap((fn) =>
      statementsOf(t, fn).filter((s) =>
        JSON.stringify(s.Action).includes("secretsmanager:DeleteSecret"),
      ),
    );
    expect(deletes).toHaveLength(2); // the rotation function and the teardown
    for (const statement of deletes) {
      expect(statement.Condition).toEqual({
        StringEquals: { "secretsmanager:ResourceTag/keyward:owner": "Staging/Keyward" },
      });
      const resources = JSON.stringify(statement.Resource);
      expect(resources).toContain(":secret:keyward/Staging/*");
      expect(resources).toContain(":secret:keyward/Staging-sessions/*");
      expect(resources).not.toContain("keyward/Keyward");
      expect(resources).not.toContain("keyward/prod");
    }
  });

  it("refuses two deployments of one app that share a prefix, or whose keyrings fall under each other's", () => {
    for (const [first, second] of [
      ["keyward/prod", "keyward/prod"],
      ["keyward/prod", "keyward/prod/staging"],
      ["keyward/prod-sessions", "keyward/prod"],
    ] as const) {
      const app = new App();
      const one = new Stack(app, "One", { env: TEST_ENV });
      const two = new Stack(app, "Two", { env: TEST_ENV });
      new Keyward(one, "Keyward", { secretPrefix: first });
      expect(
        () => new Keyward(two, "Keyward", { secretPrefix: second }),
        `${first} / ${second}`,
      ).toThrow(/overlaps .* of One\/Keyward: each keyward deployment owns its keyrings/);
    }
    const app = new App();
    new Keyward(new Stack(app, "Prod", { env: TEST_ENV }), "Keyward", {
      secretPrefix: "keyward/prod",
    });
    expect(
      () =>
        new Keyward(new Stack(app, "Staging", { env: TEST_ENV }), "Keyward", {
          secretPrefix: "keyward/staging",
        }),
    ).not.toThrow();
  });
});
