import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkEviction } from "../../../../shared/revocation/eviction.ts";
import { createUpstashClient } from "../../../../shared/upstash/client.ts";
import { freePort } from "../../../support/processes.ts";
import { startOwnUpstash } from "../../../support/services.ts";

// A Redis configured as a cache: the database keyward must not be given.
let evicting: Awaited<ReturnType<typeof startOwnUpstash>>;
beforeAll(async () => {
  evicting = await startOwnUpstash(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]);
});
afterAll(() => evicting?.stop());

describe("checkEviction (the local Upstash REST server in front of a real Redis)", () => {
  it("reports eviction off on a database with the default noeviction policy", async () => {
    const { upstashUrl: url, upstashToken: token } = inject("services");
    expect(await checkEviction(createUpstashClient({ url, token }, 2_000))).toEqual({
      status: "off",
    });
  });

  it("reports eviction on, and the policy, on a database configured as a cache", async () => {
    expect(await checkEviction(createUpstashClient(evicting, 2_000))).toEqual({
      status: "on",
      policy: "allkeys-lru",
    });
  });

  it("reports unknown, never off, when the database does not answer or refuses the token", async () => {
    const { upstashUrl: url } = inject("services");
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const down = await checkEviction(createUpstashClient({ url: nobody, token: "t" }, 500));
    expect(down.status).toBe("unknown");
    const refused = await checkEviction(createUpstashClient({ url, token: "not-the-token" }, 500));
    expect(refused.status).toBe("unknown");
    // The reason names the failure's kind only: never the token it was sent with.
    expect(JSON.stringify(refused)).not.toContain("not-the-token");
  });
});
