import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { issue, ROOT, type Run } from "../../../support/cli.ts";
import { freePort } from "../../../support/processes.ts";

describe("npm start", () => {
  it("starts the local stack on PORT and prints where everything is; the compiled CLI finds it from any directory", async () => {
    const port = await freePort();
    const local = mkdtempSync(join(tmpdir(), "keyward-start-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "functions/local/main.ts")],
      {
        env: {
          ...process.env,
          PORT: String(port),
          KEYWARD_LOCAL_DIR: local,
          KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "600",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes("CLI") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(`keyward local stack on http://127.0.0.1:${port}`);
      expect(out).toContain(join(local, "ops-token"));
      expect(await (await fetch(`http://127.0.0.1:${port}/v1/health`)).json()).toEqual({
        status: "ok",
      });
      const token = (
        (await (await issue(`http://127.0.0.1:${port}`, local, '{"sub":"alice"}')).json()) as {
          token: string;
        }
      ).token;
      expect(
        await (
          await fetch(`http://127.0.0.1:${port}/whoami`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json(),
      ).toMatchObject({ sub: "alice", keyStatus: "current" });
      expect(JSON.parse(readFileSync(join(local, "keyring.json"), "utf8")).keys).toHaveLength(1);
      // The documented maximum lifetime holds for minted tokens.
      const claims = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString());
      expect(claims.exp - claims.iat).toBe(600);
      const tooLong = await issue(
        `http://127.0.0.1:${port}`,
        local,
        '{"sub":"alice","lifetimeSeconds":3600}',
      );
      expect(tooLong.status).toBe(400);
      await fetch(`http://127.0.0.1:${port}/whoami`, {
        headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
      });
      // A token in a query string is not read, nor logged: the line has the path alone.
      await fetch(`http://127.0.0.1:${port}/whoami?access_token=${token}`);
      // The activity log: a line per request and per refusal, never the token.
      const deadlineLog = Date.now() + 5_000;
      while ((out.match(/GET \/whoami 401/g) ?? []).length < 2 && Date.now() < deadlineLog)
        await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/Z POST \/v1\/tokens 201 \(\d+ ms\)/);
      expect(out).toMatch(/Z GET \/whoami 200 \(\d+ ms\)/);
      expect(out).toMatch(/Z refused: signature_invalid\n/);
      expect(out).toMatch(/Z refused: token_missing\n/);
      expect(out).toMatch(/Z GET \/whoami 401 \(\d+ ms\)\n/);
      expect(out).not.toContain(token.split(".")[2]);
      // The compiled bin (built on npm install), run outside the checkout, finds this stack.
      const compiled = await new Promise<Run>((resolve) => {
        const cli = spawn(join(ROOT, "dist/keyward.mjs"), ["status"], {
          cwd: tmpdir(),
          env: { ...process.env, KEYWARD_LOCAL_DIR: local, KEYWARD_URL: "" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        cli.stdout.on("data", (d) => (stdout += d));
        cli.stderr.on("data", (d) => (stderr += d));
        cli.on("exit", (code) => resolve({ code, stdout, stderr }));
      });
      expect(compiled).toMatchObject({ code: 0, stdout: expect.stringMatching(/^current\s/) });
      // A second stack on the same port: one line saying what to do, no stack trace.
      const second = spawn(
        process.execPath,
        ["--import", "tsx", join(ROOT, "functions/local/main.ts")],
        { env: { ...process.env, PORT: String(port), KEYWARD_LOCAL_DIR: local } },
      );
      let busy = "";
      second.stderr.on("data", (d) => (busy += d));
      const code = await new Promise((resolve) => second.on("exit", resolve));
      expect(code).toBe(1);
      expect(busy.trim()).toBe(
        `port ${port} is in use (another npm start?): stop it, or run PORT=18787 npm start`,
      );
    } finally {
      child.kill("SIGTERM");
      rmSync(local, { recursive: true, force: true });
    }
  });
});
