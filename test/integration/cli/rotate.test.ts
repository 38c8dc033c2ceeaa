import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../../functions/local/stack.ts";
import { useLocalStack } from "../../support/cli.ts";
import { movableClock } from "../../support/clocks.ts";

const local = useLocalStack();

describe("keyward rotate", () => {
  it("refuses to rotate without --yes when there is no terminal, and changes nothing", async () => {
    const run = await local.keyward(["rotate", "--immediate", "--reason", "leak"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("pass --yes");
    expect((await local.keyward(["status"])).stdout).not.toContain("retired");
  });

  it("keeps the sample app's session across a graceful rotation of the sessions keyring: opened, then re-sealed under the new key", async () => {
    const isolated = mkdtempSync(join(tmpdir(), "keyward-session-"));
    // A 1 s keyring cache and no margin: the new key activates 1 s after it is published. The
    // stack's time is the test's.
    const clock = movableClock();
    const other = await startLocalStack({
      port: 0,
      dir: isolated,
      tickMs: 3_600_000,
      policy: { keyringCacheTtlMs: 1000, prePublicationMarginMs: 0 },
      clock,
    });
    try {
      const jar = { cookie: "" };
      const session = async (method: string, body?: string) => {
        const answer = await fetch(`${other.url}/session`, {
          method,
          headers: jar.cookie === "" ? {} : { cookie: jar.cookie },
          ...(body === undefined ? {} : { body }),
        });
        const set = answer.headers.get("set-cookie");
        if (set !== null) jar.cookie = set.split(";")[0] as string;
        return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
      };
      const stored = await session("PUT", "cart=3");
      expect(stored.status).toBe(200);
      const env = { KEYWARD_URL: other.url, KEYWARD_LOCAL_DIR: isolated };
      const rotate = ["rotate", "--keyring", "sessions", "--reason", "monthly", "--yes", "--json"];
      const rotated = await local.keyward(rotate, env);
      expect(rotated.code).toBe(0);
      const newKid = JSON.parse(rotated.stdout).kid as string;
      // Until the new key is current, the old one seals and opens.
      expect(await session("GET")).toMatchObject({
        status: 200,
        body: { data: "cart=3", kid: stored.body.kid, resealed: false },
      });
      clock.advance(1100);
      await other.tick();
      clock.advance(1100);
      // The session opens under the now previous key and is re-sealed under the new one.
      expect(await session("GET")).toMatchObject({
        status: 200,
        body: { data: "cart=3", kid: stored.body.kid, resealed: true },
      });
      expect(await session("GET")).toMatchObject({
        status: 200,
        body: { data: "cart=3", kid: newKid, resealed: false },
      });
      const status = await local.keyward(["status", "--keyring", "sessions", "--json"], env);
      expect(JSON.parse(status.stdout).keys.map((k: { status: string }) => k.status)).toEqual([
        "previous",
        "current",
      ]);
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });
});
