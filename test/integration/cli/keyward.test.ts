import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalStack, startLocalStack, storesFromEnv } from "../../../functions/local/stack.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { motoEnvironment, secretsManagerClient } from "../../support/aws.ts";
import { movableClock } from "../../support/clocks.ts";
import { startProxy } from "../../support/http-proxy.ts";
import { freePort } from "../../support/processes.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyward-cli-"));
  stack = await startLocalStack({ port: 0, dir, tickMs: 3_600_000 });
});
afterAll(async () => {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "cli/keyward.ts"), ...args],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        KEYWARD_URL: stack.url,
        KEYWARD_LOCAL_DIR: dir,
        KEYWARD_OPS_TOKEN: "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const keyward = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

/** A login through a local stack's issuing endpoint, with its client credential from `dir`. */
function issue(url: string, dir: string, body: string): Promise<Response> {
  const credential = readFileSync(join(dir, "issuer-token"), "utf8").trim();
  return fetch(`${url}/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}` },
    body,
  });
}

async function mint(sub: string): Promise<string> {
  const answer = await issue(stack.url, dir, JSON.stringify({ sub }));
  return ((await answer.json()) as { token: string }).token;
}

const whoami = (token: string) =>
  fetch(`${stack.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });

describe("the keyward CLI against the local stack", () => {
  it("reads the local credential from .keyward/ops-token (mode 0600) and shows the keys", async () => {
    expect(statSync(join(dir, "ops-token")).mode & 0o777).toBe(0o600);
    const run = await keyward(["status"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^current\s+\S{22}\s+HS256/m);
  });

  it("after `keyward revoke --sub X`, /whoami answers 401 for X's token at the next request", async () => {
    const token = await mint("mallory");
    expect((await whoami(token)).status).toBe(200);
    const run = await keyward(["revoke", "--sub", "mallory", "--reason", "account compromise"]);
    expect(run).toMatchObject({ code: 0, stdout: "revoked (subject)\n" });
    // The local stack's own writes reach its verifier before the ops API answers.
    const answer = await whoami(token);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await answer.json()).toMatchObject({ error: { code: "revoked" } });
    // The password-change flow: a login right after the revocation works, with no sleep.
    expect((await whoami(await mint("mallory"))).status).toBe(200);
  });

  it("revokes one token with `revoke --token` and reports it with `check --token`, the credential coming from --credential", async () => {
    const token = await mint("trent");
    const credential = readFileSync(join(dir, "ops-token"), "utf8").trim();
    const elsewhere = mkdtempSync(join(tmpdir(), "keyward-nocred-"));
    const env = { KEYWARD_LOCAL_DIR: elsewhere };
    try {
      const run = await keyward(
        ["revoke", "--token", token, "--credential", credential, "--reason", "pasted in a ticket"],
        env,
      );
      expect(run).toMatchObject({ code: 0, stdout: "revoked (token)\n" });
      expect(run.stdout + run.stderr).not.toContain(token);
      expect((await whoami(token)).status).toBe(401);
      const check = await keyward(["check", "--token", token, "--credential", credential], env);
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/^revoked by token rule since /);
      // Another token of the same user is untouched.
      expect((await whoami(await mint("trent"))).status).toBe(200);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("answers deeply nested or oversized claims on /v1/tokens with a JSON error, not a stack trace", async () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}"x"${"}".repeat(depth)}`;
    for (const [claims, status, code] of [
      [nested(50), 400, "invalid_request"],
      [nested(10_000), 400, "invalid_request"],
      [JSON.stringify({ big: "x".repeat(10_000) }), 400, "invalid_request"],
    ] as const) {
      const answer = await issue(stack.url, dir, `{"sub":"deep","claims":${claims}}`);
      expect(answer.status).toBe(status);
      expect((await answer.json()) as unknown).toMatchObject({ error: { code } });
    }
  });

  it("prints a planted reason with its escape sequences and line breaks escaped, and a pasted token nowhere", async () => {
    const token = await mint("ivan");
    const reason = `ok\u001b[2J\r\n    9 2026-01-01 admin forged ${token}`;
    const run = await keyward(["revoke", "--sub", "ivan", "--reason", reason]);
    expect(run.code).toBe(0);
    const audit = await keyward(["audit", "--limit", "1"]);
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

  it("follows conventions: --version, help, did you mean, arguments checked before any request, JSON errors", async () => {
    const version = await keyward(["--version"]);
    expect(version.stdout.trim()).toBe(
      `keyward ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}`,
    );
    const help = await keyward(["help", "revoke"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: keyward revoke (--token JWT");
    expect(help.stdout).toContain("examples:");
    expect((await keyward(["check", "--help"])).stdout).toContain("usage: keyward check");
    expect(await keyward(["revok", "--sub", "a"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('did you mean "revoke"?'),
    });
    expect((await keyward(["audit", "--lmit", "5"])).stderr).toContain("did you mean --limit?");
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
      const run = await keyward(args, nowhere);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
    }
    expect((await keyward(["rotate", "--token", "x", "--reason", "r"])).stderr).toContain(
      "the operator credential is --credential",
    );
    const json = await keyward(["plan", "--days", "abc", "--json"], nowhere);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: "usage", message: "--days takes a whole number from 1 to 3650" },
    });
    const refused = await keyward(["rollback", "--reason", "test", "--yes", "--json"]);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: "no_previous_key" } });
  });

  it("finds the local stack from the URL it wrote beside its credential, and takes a URL ending in /v1", async () => {
    expect(readFileSync(join(dir, "url"), "utf8").trim()).toBe(stack.url);
    expect((await keyward(["status"], { KEYWARD_URL: "" })).code).toBe(0);
    expect((await keyward(["status"], { KEYWARD_URL: `${stack.url}/v1` })).code).toBe(0);
  });

  it("refuses to rotate without --yes when there is no terminal, and changes nothing", async () => {
    const run = await keyward(["rotate", "--immediate", "--reason", "leak"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("pass --yes");
    expect((await keyward(["status"])).stdout).not.toContain("retired");
  });

  it("answers --json for scripts, and exit code 2 with the API's code when refused", async () => {
    const check = await keyward(["check", "--sub", "mallory", "--json"]);
    expect(JSON.parse(check.stdout)).toMatchObject({ revoked: true, rule: "subject" });
    const rollback = await keyward(["rollback", "--reason", "test", "--yes"]);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain("no_previous_key");
  });

  it("fails with usage (1) on bad flags and unreachable (4) when nothing listens", async () => {
    expect((await keyward(["revoke", "--sub", "a"])).code).toBe(1);
    expect((await keyward(["revoke", "--sub", "a", "--all", "--reason", "x"])).code).toBe(1);
    expect((await keyward(["status", "--nonsense"])).code).toBe(1);
    const port = await freePort();
    expect((await keyward(["status"], { KEYWARD_URL: `http://127.0.0.1:${port}` })).code).toBe(4);
  });

  it("signs requests with SigV4 for IAM auth and sends the credential in X-Keyward-Credential", async () => {
    const recorder = await startProxy(stack.url);
    try {
      const aws = {
        KEYWARD_URL: recorder.url,
        KEYWARD_SIGV4_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDKEYWARDTEST",
        AWS_SECRET_ACCESS_KEY: "not-a-real-secret-access-key",
      };
      const run = await keyward(["status"], aws);
      expect(run.code).toBe(0);
      const headers = recorder.lastHeaders();
      expect(String(headers.authorization)).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDKEYWARDTEST\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[^,]*x-keyward-credential[^,]*, Signature=[0-9a-f]{64}$/,
      );
      expect(headers["x-keyward-credential"]).toBe(
        readFileSync(join(dir, "ops-token"), "utf8").trim(),
      );
      const unsigned = await keyward(["status"], { ...aws, AWS_SECRET_ACCESS_KEY: "" });
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toContain("AWS_SECRET_ACCESS_KEY");
    } finally {
      await recorder.stop();
    }
  });

  it("hashes an operator credential read on stdin, as the ops API compares it", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "cli/keyward.ts"), "hash-token"],
      { cwd: ROOT },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stdin.end("a-new-operator-credential-0123456789\n");
    await new Promise((resolve) => child.on("exit", resolve));
    const { createHash } = await import("node:crypto");
    expect(out.trim()).toBe(
      createHash("sha256").update("a-new-operator-credential-0123456789").digest("hex"),
    );
  });

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
      const unasked = await keyward([...args, "--yes"], env);
      expect(unasked).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("--token-lifetime"),
      });
      const run = await keyward([...args, "--sample-from-env", "SAMPLE", "--yes"], {
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
      const absent = await keyward(args, env);
      expect(absent).toMatchObject({ code: 1 });
      expect(absent.stderr.trim()).toBe("SESSION_ENCRYPTION_KEY environment variable not set");
      const short = randomBytes(16).toString("base64");
      const wrong = await keyward(args, { ...env, SESSION_ENCRYPTION_KEY: short });
      expect(wrong).toMatchObject({ code: 1 });
      expect(wrong.stderr.trim()).toBe("SESSION_ENCRYPTION_KEY must decode to 32 bytes");
      expect(wrong.stderr).not.toContain(short);

      const key = randomBytes(32).toString("base64");
      const run = await keyward(args, { ...env, SESSION_ENCRYPTION_KEY: `${key}\n` });
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/imported as key \S{22} \(current\) of the sessions keyring/);
      expect(run.stdout + run.stderr).not.toContain(key);

      const status = await keyward(["status", "--keyring", "sessions"], env);
      expect(status.code).toBe(0);
      // The imported key is current; the one the local stack generated is previous.
      expect(status.stdout).toMatch(/^current\s+\S{22}\s+A256GCM/m);
      expect(status.stdout).toMatch(/^previous\s+\S{22}\s+A256GCM/m);
      const signing = await keyward(["status", "--json"], env);
      expect(JSON.parse(signing.stdout).keys.map((k: { alg: string }) => k.alg)).toEqual(["HS256"]);
      const unknown = await keyward(["status", "--keyring", "billing"], env);
      expect(unknown).toMatchObject({ code: 1 });
      expect(unknown.stderr).toContain("--keyring takes signing or sessions");
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
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
      const rotated = await keyward(rotate, env);
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
      const status = await keyward(["status", "--keyring", "sessions", "--json"], env);
      expect(JSON.parse(status.stdout).keys.map((k: { status: string }) => k.status)).toEqual([
        "previous",
        "current",
      ]);
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it("counts revoked, already expired and failed items of a batch apart", async () => {
    const file = join(dir, "mixed.txt");
    const past = Math.floor(Date.now() / 1000) - 60;
    writeFileSync(file, `sub:mixed-user\njti:spent-${randomUUID()}:${past}\nclaim:=x\n`);
    const run = await keyward(["revoke-batch", file, "--reason", "mixed", "--json"]);
    expect(JSON.parse(run.stdout)).toMatchObject({ items: 3, revoked: 1, expired: 1, failed: 1 });
    expect(run.code).toBe(2);
  });

  it("resumes an interrupted revoke-batch where it stopped, says so on Ctrl-C, and asks before resuming with another reason", async () => {
    // A delaying proxy (injected slowness) makes each chunk take long enough to interrupt reliably.
    const slow = await startProxy(stack.url);
    slow.setFault({ kind: "delay", ms: 300 });
    const file = join(dir, "breach.txt");
    writeFileSync(
      file,
      `${Array.from({ length: 8_000 }, (_, i) => `sub:breached-${i}`).join("\n")}\n`,
    );
    try {
      const first = start(["revoke-batch", file, "--reason", "breach"], { KEYWARD_URL: slow.url });
      const progressFile = `${file}.keyward-progress`;
      const deadline = Date.now() + 20_000;
      while (!existsSync(progressFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      first.child.kill("SIGINT");
      const interrupted = await first.done;
      const saved = JSON.parse(readFileSync(progressFile, "utf8")) as { done: number };
      expect(saved.done).toBeGreaterThanOrEqual(1000);
      expect(saved.done).toBeLessThan(8_000);
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(
        `interrupted at ${saved.done} of 8000; re-run the same command to resume`,
      );
      expect(existsSync(`${progressFile}.tmp`)).toBe(false);
      // Another reason for the rest would journal it differently: asked, refused without a terminal.
      const otherReason = await keyward(["revoke-batch", file, "--reason", "other"], {
        KEYWARD_URL: slow.url,
      });
      expect(otherReason.code).toBe(5);
      expect(otherReason.stderr).toContain('gave the reason "breach"');

      slow.setFault({ kind: "none" });
      const second = await keyward(["revoke-batch", file, "--reason", "breach"], {
        KEYWARD_URL: slow.url,
      });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(`resuming: ${saved.done} of 8000 already done`);
      expect(second.stderr).toContain("8000/8000 (100%)");
      expect(second.stdout).toBe("8000 revoked, 0 already expired (nothing to do), 0 failed\n");
      expect(existsSync(progressFile)).toBe(false);
      for (const sub of ["breached-0", "breached-7999"]) {
        expect(JSON.parse((await keyward(["check", "--sub", sub, "--json"])).stdout)).toMatchObject(
          { revoked: true },
        );
      }
    } finally {
      await slow.stop();
    }
  });
});

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
      // The activity log: a line per request and per refusal, never the token.
      const deadlineLog = Date.now() + 5_000;
      while (!out.includes("refused:") && Date.now() < deadlineLog)
        await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/Z POST \/v1\/tokens 201 \(\d+ ms\)/);
      expect(out).toMatch(/Z GET \/whoami 200 \(\d+ ms\)/);
      expect(out).toMatch(/Z refused: signature_invalid\n/);
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

describe("the local stack with real stores configured", () => {
  it("keeps the keyring in Secrets Manager and revocations in Upstash when their settings are present", async () => {
    const services = inject("services");
    const prefix = `keyward/local-${randomUUID()}`;
    const saved = { ...process.env };
    Object.assign(process.env, motoEnvironment(services.motoUrl));
    const local = mkdtempSync(join(tmpdir(), "keyward-real-"));
    const real = await startLocalStack({
      port: 0,
      dir: local,
      tickMs: 3_600_000,
      stores: storesFromEnv({
        KEYWARD_SECRET_PREFIX: prefix,
        UPSTASH_REDIS_REST_URL: services.upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
      }),
    });
    try {
      expect(existsSync(join(local, "keyring.json"))).toBe(false);
      const stored = await new SecretsManagerKeyringStore({
        client: secretsManagerClient(services.motoUrl),
        prefix,
      }).load();
      expect(stored?.keys).toHaveLength(1);
      const token = (
        (await (await issue(real.url, local, '{"sub":"erin"}')).json()) as { token: string }
      ).token;
      const run = await keyward(["revoke", "--sub", "erin", "--reason", "test"], {
        KEYWARD_URL: real.url,
        KEYWARD_LOCAL_DIR: local,
      });
      expect(run.code).toBe(0);
      expect(
        (await fetch(`${real.url}/whoami`, { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(401);
      const upstash = new UpstashRevocationStore({
        url: services.upstashUrl,
        token: services.upstashToken,
        timing: { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 },
      });
      expect(await upstash.check({ sub: "erin", issuedAtMs: 1000, claims: {} })).toMatchObject({
        revoked: true,
        rule: "subject",
      });
    } finally {
      await real.stop();
      process.env = saved;
      rmSync(local, { recursive: true, force: true });
    }
  });
});

describe("the rotation journal and the simulation", () => {
  it("`keyward journal --since` prints the emergency just made as a Markdown entry, and `check --kid` its key rule", async () => {
    const isolated = mkdtempSync(join(tmpdir(), "keyward-journal-"));
    const other = await startLocalStack({ port: 0, dir: isolated, tickMs: 3_600_000 });
    const env = { KEYWARD_URL: other.url, KEYWARD_LOCAL_DIR: isolated };
    try {
      const before = JSON.parse((await keyward(["status", "--json"], env)).stdout) as {
        keys: { kid: string }[];
      };
      const rotated = await keyward(
        ["rotate", "--immediate", "--reason", "key in a public gist", "--yes", "--json"],
        env,
      );
      const { kid } = JSON.parse(rotated.stdout) as { kid: string };
      const today = new Date().toISOString().slice(0, 10);
      const run = await keyward(["journal", "--since", today], env);
      expect(run.code).toBe(0);
      const oldKid = before.keys[0]!.kid;
      expect(run.stdout).toContain(`## JWT signing key rotations since ${today}`);
      expect(run.stdout).toContain(
        `### Key rotation: emergency, \`${oldKid}\` → \`${kid}\` [done ${today}]`,
      );
      expect(run.stdout).toContain("reason: key in a public gist");
      expect(run.stdout).toContain("- Self-test: passed");
      expect(run.stdout).toMatch(/- Verifications refused because of it: \d+/);
      expect((await keyward(["journal"], env)).code).toBe(1);
      // The emergency wrote a key rule for the old key; the new one signs and cannot be revoked by kid.
      const check = await keyward(["check", "--kid", oldKid], env);
      expect(check).toMatchObject({ code: 0 });
      expect(check.stdout).toContain("revoked by kid rule since");
      const refused = await keyward(["revoke", "--kid", kid, "--reason", "test"], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("not_revocable");
    } finally {
      await other.stop();
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it("`keyward simulate --days 365 --json` reports zero forced re-logins for graceful rotations", async () => {
    const run = await keyward(["simulate", "--days", "365", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string; forcedRelogins: number; issuerLag?: { logins: number } }[];
      totals: { gracefulForcedRelogins: number; refusedValidTokens: number };
    };
    expect(report.rotations.map((r) => r.trigger)).toEqual([
      "emergency",
      "scheduled",
      "scheduled",
      "scheduled",
      "rollback",
    ]);
    expect(report.totals).toMatchObject({ gracefulForcedRelogins: 0, refusedValidTokens: 0 });
    // Everyone logs in again; user 0, refused at noon right after the drill, gets a token the
    // issuer still signs with the compromised key (its cache is younger than 60 s) and logs in
    // once more: 21, and the issuer's two logins with that key (the drill's own one too).
    expect(report.rotations[0]).toMatchObject({ forcedRelogins: 21, issuerLag: { logins: 2 } });
  }, 120_000);

  it("`keyward simulate --keyring sessions --days 365 --json` loses no session in graceful rotations", async () => {
    const run = await keyward(["simulate", "--keyring", "sessions", "--days", "365", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string }[];
      totals: { lostSessions: number; compromisedOpened: number; resealed: number };
    };
    expect(report.rotations.filter((r) => r.trigger === "scheduled").length).toBeGreaterThan(9);
    expect(report.totals).toMatchObject({ lostSessions: 0, compromisedOpened: 0 });
    expect(report.totals.resealed).toBeGreaterThan(0);
  }, 120_000);

  it("simulates with the deployed functions' rotation settings, and names a bad one", async () => {
    const run = await keyward(
      [
        "simulate",
        "--days",
        "40",
        "--users",
        "3",
        "--emergency-day",
        "none",
        "--rollback-day",
        "none",
      ],
      { KEYWARD_ROTATION_PERIOD_DAYS: "10" },
    );
    expect(run.code).toBe(0);
    expect(run.stdout.match(/\| scheduled \|/g)).toHaveLength(3);
    const bad = await keyward(["simulate", "--days", "40"], { KEYWARD_MIN_GRACE_DAYS: "0" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      "KEYWARD_MIN_GRACE_DAYS must be at least KEYWARD_MAX_TOKEN_LIFETIME_SECONDS",
    );
  });
});
