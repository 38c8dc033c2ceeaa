import { describe, expect, inject, it } from "vitest";
import { useLocalStack } from "../support/cli.ts";
import { NODES, useConsumer } from "../support/consumers.ts";

const consumer = useConsumer("sessions-service", {});
const local = useLocalStack();

describe("keyward/sessions from the tarball, tried against the local stack", () => {
  it.each(Object.entries(NODES))(
    "seals and opens a session with the local stack's sessions keyring, on Node %s",
    async (_, node) => {
      const { upstashUrl, upstashToken } = inject("services");
      const sealed = await consumer.node("seal.mjs", {
        node,
        env: {
          KEYWARD_LOCAL_DIR: local.dir,
          UPSTASH_REDIS_REST_URL: upstashUrl,
          UPSTASH_REDIS_REST_TOKEN: upstashToken,
        },
      });
      expect(sealed, sealed.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(sealed.stdout)).toEqual({ ok: true, data: { cart: 3 } });
    },
  );

  it("says what is missing, as a configuration error, when UPSTASH_* is unset", async () => {
    const run = await consumer.node("seal.mjs", { env: { KEYWARD_LOCAL_DIR: local.dir } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("ConfigInvalid");
    expect(run.stderr).toContain("upstash.url must be Upstash's REST URL (UPSTASH_REDIS_REST_URL)");
    expect(run.stderr).not.toContain("TypeError");
  });
});
