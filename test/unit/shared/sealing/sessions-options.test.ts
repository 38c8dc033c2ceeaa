import { describe, expect, it } from "vitest";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { createSessions } from "../../../../shared/sealing/sessions.ts";

describe("createSessions's options", () => {
  it("is a ConfigInvalid listing every problem when UPSTASH_* and the AWS variables are unset", () => {
    let problems: readonly string[] = [];
    try {
      createSessions({
        keyring: { secretPrefix: "keyward/prod", env: {} },
        upstash: { url: process.env.KEYWARD_TEST_UNSET_URL, token: undefined } as never,
        maxSessionLifetimeSeconds: 10,
        failureMode: "sometimes" as never,
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigInvalid);
      problems = (error as ConfigInvalid).problems;
    }
    expect(problems).toEqual([
      "keyring.secretPrefix needs AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them)",
      "upstash.url must be Upstash's REST URL (UPSTASH_REDIS_REST_URL), https://…",
      "upstash.token must be Upstash's REST token (UPSTASH_REDIS_REST_TOKEN)",
      "maxSessionLifetimeSeconds must be a whole number of seconds >= 60",
      'failureMode must be "closed" or "open"',
    ]);
  });
});
