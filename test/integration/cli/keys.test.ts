import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../../functions/local/stack.ts";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward keys import", () => {
  it("imports a secret from the environment as the current key", async () => {
    const isolated = mkdtempSync(join(tmpdir(), "keyward-import-"));
    const other = await startLocalStack({ port: 0, dir: isolated, tickMs: 3_600_000 });
    try {
      const secret = "the-secret-our-old-backend-signs-with-0123";
      const now = Math.floor(Date.now() / 1000);
      const sample = await new SignJWT({ sub: "u", iat: now, exp: now + 3600 })
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode(secret));
      const env = {
        KEYWARD_URL: other.url,
        KEYWARD_LOCAL_DIR: isolated,
        LEGACY_JWT_SECRET: secret,
      };
      const args = ["keys", "import", "--from-env", "LEGACY_JWT_SECRET", "--reason", "migration"];
      const unasked = await local.keyward([...args, "--yes"], env);
      expect(unasked).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("--token-lifetime"),
      });
      const run = await local.keyward([...args, "--sample-from-env", "SAMPLE", "--yes"], {
        ...env,
        SAMPLE: sample,
      });
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/imported as key \S{22} \(current\)/);
      expect(run.stdout + run.stderr).not.toContain("the-secret-our-old-backend");
      expect(run.stdout + run.stderr).not.toContain(sample);
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it("imports SESSION_ENCRYPTION_KEY into the sessions keyring with the runbook's own messages, and shows it with status --keyring sessions", async () => {
    const isolated = mkdtempSync(join(tmpdir(), "keyward-sessions-"));
    const other = await startLocalStack({ port: 0, dir: isolated, tickMs: 3_600_000 });
    try {
      const env = { KEYWARD_URL: other.url, KEYWARD_LOCAL_DIR: isolated };
      const args = [
        "keys",
        "import",
        "--keyring",
        "sessions",
        "--from-env",
        "SESSION_ENCRYPTION_KEY",
        "--reason",
        "adopt keyward",
        "--yes",
      ];
      const absent = await local.keyward(args, env);
      expect(absent).toMatchObject({ code: 1 });
      expect(absent.stderr.trim()).toBe("SESSION_ENCRYPTION_KEY environment variable not set");
      const short = randomBytes(16).toString("base64");
      const wrong = await local.keyward(args, { ...env, SESSION_ENCRYPTION_KEY: short });
      expect(wrong).toMatchObject({ code: 1 });
      expect(wrong.stderr.trim()).toBe("SESSION_ENCRYPTION_KEY must decode to 32 bytes");
      expect(wrong.stderr).not.toContain(short);

      const key = randomBytes(32).toString("base64");
      const run = await local.keyward(args, { ...env, SESSION_ENCRYPTION_KEY: `${key}\n` });
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/imported as key \S{22} \(current\) of the sessions keyring/);
      expect(run.stdout + run.stderr).not.toContain(key);

      const status = await local.keyward(["status", "--keyring", "sessions"], env);
      expect(status.code).toBe(0);
      // The imported key is current; the one the local stack generated is previous.
      expect(status.stdout).toMatch(/^current\s+\S{22}\s+A256GCM/m);
      expect(status.stdout).toMatch(/^previous\s+\S{22}\s+A256GCM/m);
      const signing = await local.keyward(["status", "--json"], env);
      expect(JSON.parse(signing.stdout).keys.map((k: { alg: string }) => k.alg)).toEqual(["HS256"]);
      const unknown = await local.keyward(["status", "--keyring", "billing"], env);
      expect(unknown).toMatchObject({ code: 1 });
      expect(unknown.stderr).toContain("--keyring takes signing or sessions");
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });
});
