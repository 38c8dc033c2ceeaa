import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, useLocalStack } from "../../support/cli.ts";
import { startProxy } from "../../support/http-proxy.ts";
import { freePort } from "../../support/processes.ts";

const local = useLocalStack();

describe("the keyward CLI: conventions, exit codes, transport", () => {
  it("follows conventions: --version, help, did you mean, arguments checked before any request, JSON errors", async () => {
    const version = await local.keyward(["--version"]);
    expect(version.stdout.trim()).toBe(
      `keyward ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}`,
    );
    const help = await local.keyward(["help", "revoke"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: keyward revoke (--token JWT");
    expect(help.stdout).toContain("examples:");
    expect((await local.keyward(["check", "--help"])).stdout).toContain("usage: keyward check");
    expect(await local.keyward(["revok", "--sub", "a"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('did you mean "revoke"?'),
    });
    expect((await local.keyward(["audit", "--lmit", "5"])).stderr).toContain(
      "did you mean --limit?",
    );
    // Nothing listens on this URL: a usage error must come before any request (else exit 4).
    const nowhere = { KEYWARD_URL: `http://127.0.0.1:${await freePort()}` };
    for (const args of [
      ["plan", "--days", "abc"],
      ["audit", "--limit", "0"],
      ["check"],
      ["journal", "--since", "yesterday"],
      ["status", "extra"],
      ["status", "--sub", "alice"],
      ["rotate", "--token", "x", "--reason", "r"],
    ]) {
      const run = await local.keyward(args, nowhere);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
    }
    expect((await local.keyward(["rotate", "--token", "x", "--reason", "r"])).stderr).toContain(
      "the operator credential is --credential",
    );
    const json = await local.keyward(["plan", "--days", "abc", "--json"], nowhere);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: "usage", message: "--days takes a whole number from 1 to 3650" },
    });
    const refused = await local.keyward(["rollback", "--reason", "test", "--yes", "--json"]);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: "no_previous_key" } });
  });

  it("answers --json for scripts, and exit code 2 with the API's code when refused", async () => {
    await local.keyward(["revoke", "--sub", "mallory", "--reason", "account compromise"]);
    const check = await local.keyward(["check", "--sub", "mallory", "--json"]);
    expect(JSON.parse(check.stdout)).toMatchObject({ revoked: true, rule: "subject" });
    const rollback = await local.keyward(["rollback", "--reason", "test", "--yes"]);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain("no_previous_key");
  });

  it("fails with usage (1) on bad flags and unreachable (4) when nothing listens", async () => {
    expect((await local.keyward(["revoke", "--sub", "a"])).code).toBe(1);
    expect((await local.keyward(["revoke", "--sub", "a", "--all", "--reason", "x"])).code).toBe(1);
    expect((await local.keyward(["status", "--nonsense"])).code).toBe(1);
    const port = await freePort();
    expect(
      (await local.keyward(["status"], { KEYWARD_URL: `http://127.0.0.1:${port}` })).code,
    ).toBe(4);
  });

  it("signs requests with SigV4 for IAM auth and sends the credential in X-Keyward-Credential", async () => {
    const recorder = await startProxy(local.stack.url);
    try {
      const aws = {
        KEYWARD_URL: recorder.url,
        KEYWARD_SIGV4_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDKEYWARDTEST",
        AWS_SECRET_ACCESS_KEY: "not-a-real-secret-access-key",
      };
      const run = await local.keyward(["status"], aws);
      expect(run.code).toBe(0);
      const headers = recorder.lastHeaders();
      expect(String(headers.authorization)).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDKEYWARDTEST\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[^,]*x-keyward-credential[^,]*, Signature=[0-9a-f]{64}$/,
      );
      expect(headers["x-keyward-credential"]).toBe(
        readFileSync(join(local.dir, "ops-token"), "utf8").trim(),
      );
      const unsigned = await local.keyward(["status"], { ...aws, AWS_SECRET_ACCESS_KEY: "" });
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toContain("AWS_SECRET_ACCESS_KEY");
    } finally {
      await recorder.stop();
    }
  });
});
