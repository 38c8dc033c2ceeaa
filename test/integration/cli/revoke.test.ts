import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward revoke and check", () => {
  it("after `keyward revoke --sub X`, /whoami answers 401 for X's token at the next request", async () => {
    const token = await local.mint("mallory");
    expect((await local.whoami(token)).status).toBe(200);
    const run = await local.keyward([
      "revoke",
      "--sub",
      "mallory",
      "--reason",
      "account compromise",
    ]);
    expect(run).toMatchObject({ code: 0, stdout: "revoked (subject)\n" });
    // The local stack's own writes reach its verifier before the ops API answers.
    const answer = await local.whoami(token);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await answer.json()).toMatchObject({ error: { code: "revoked" } });
    // The password-change flow: a login right after the revocation works, with no sleep.
    expect((await local.whoami(await local.mint("mallory"))).status).toBe(200);
  });

  it("revokes one token with `revoke --token` and reports it with `check --token`, the credential coming from --credential", async () => {
    const token = await local.mint("trent");
    const credential = readFileSync(join(local.dir, "ops-token"), "utf8").trim();
    const elsewhere = mkdtempSync(join(tmpdir(), "keyward-nocred-"));
    const env = { KEYWARD_LOCAL_DIR: elsewhere };
    try {
      const run = await local.keyward(
        ["revoke", "--token", token, "--credential", credential, "--reason", "pasted in a ticket"],
        env,
      );
      expect(run).toMatchObject({ code: 0, stdout: "revoked (token)\n" });
      expect(run.stdout + run.stderr).not.toContain(token);
      expect((await local.whoami(token)).status).toBe(401);
      const check = await local.keyward(
        ["check", "--token", token, "--credential", credential],
        env,
      );
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/^revoked by token rule since /);
      // Another token of the same user is untouched.
      expect((await local.whoami(await local.mint("trent"))).status).toBe(200);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("prints a planted reason with its escape sequences and line breaks escaped, and a pasted token nowhere", async () => {
    const token = await local.mint("ivan");
    const reason = `ok\u001b[2J\r\n    9 2026-01-01 admin forged ${token}`;
    const run = await local.keyward(["revoke", "--sub", "ivan", "--reason", reason]);
    expect(run.code).toBe(0);
    const audit = await local.keyward(["audit", "--limit", "1"]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).not.toContain("\u001b");
    expect(audit.stdout).not.toContain(token);
    // One entry, one line (then the "more" hint).
    expect(
      audit.stdout
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("(more")),
    ).toHaveLength(1);
    expect(audit.stdout).toContain(
      "ok\\x1b[2J\\x0d\\x0a    9 2026-01-01 admin forged [token removed]",
    );
  });
});
