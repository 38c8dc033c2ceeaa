import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../../functions/local/stack.ts";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward journal", () => {
  it("`keyward journal --since` prints the emergency just made as a Markdown entry, and `check --kid` its key rule", async () => {
    const isolated = mkdtempSync(join(tmpdir(), "keyward-journal-"));
    const other = await startLocalStack({ port: 0, dir: isolated, tickMs: 3_600_000 });
    const env = { KEYWARD_URL: other.url, KEYWARD_LOCAL_DIR: isolated };
    try {
      const before = JSON.parse((await local.keyward(["status", "--json"], env)).stdout) as {
        keys: { kid: string }[];
      };
      const rotated = await local.keyward(
        ["rotate", "--immediate", "--reason", "key in a public gist", "--yes", "--json"],
        env,
      );
      const { kid } = JSON.parse(rotated.stdout) as { kid: string };
      const today = new Date().toISOString().slice(0, 10);
      const run = await local.keyward(["journal", "--since", today], env);
      expect(run.code).toBe(0);
      const oldKid = before.keys[0]!.kid;
      expect(run.stdout).toContain(`## JWT signing key rotations since ${today}`);
      expect(run.stdout).toContain(
        `### Key rotation: emergency, \`${oldKid}\` → \`${kid}\` [done ${today}]`,
      );
      expect(run.stdout).toContain("reason: key in a public gist");
      expect(run.stdout).toContain("- Self-test: passed");
      expect(run.stdout).toMatch(/- Verifications refused because of it: \d+/);
      expect((await local.keyward(["journal"], env)).code).toBe(1);
      // The emergency wrote a key rule for the old key; the new one signs and cannot be revoked by kid.
      const check = await local.keyward(["check", "--kid", oldKid], env);
      expect(check).toMatchObject({ code: 0 });
      expect(check.stdout).toContain("revoked by kid rule since");
      const refused = await local.keyward(["revoke", "--kid", kid, "--reason", "test"], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("not_revocable");
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });
});
