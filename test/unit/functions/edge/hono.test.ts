import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ConfigInvalid, type KeywardEnv, keyward } from "../../../../functions/edge/hono.ts";

describe("keyward/hono", () => {
  it("checks its settings at construction: a ConfigInvalid lists every problem", () => {
    expect(() => keyward(undefined as never)).toThrow(ConfigInvalid);
    let problems: readonly string[] = [];
    try {
      keyward({
        env: { KEYWARD_SECRET_PREFIX: "keyward/prod", KEYWARD_CLOCK_TOLERANCE_SECONDS: "x" },
      });
    } catch (error) {
      problems = (error as ConfigInvalid).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        "AWS_REGION is required with KEYWARD_SECRET_PREFIX: the keyring's reader",
        "KEYWARD_CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300",
        expect.stringContaining("UPSTASH_REDIS_REST_URL"),
      ]),
    );
  });

  it("answers a request without a token with 401 and its challenge, before any store is read", async () => {
    const app = new Hono<KeywardEnv>();
    app.use(
      "*",
      keyward({
        env: {
          KEYWARD_JWKS_URL: "https://login.example/.well-known/jwks.json",
          UPSTASH_REDIS_REST_URL: "https://upstash.example",
          UPSTASH_REDIS_REST_TOKEN: "token",
        },
        write: () => undefined,
      }),
    );
    app.get("/me", (c) => c.json(c.get("keyward").claims));
    const answer = await app.request("/me");
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="keyward"');
  });
});
