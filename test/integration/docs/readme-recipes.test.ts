import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../support/processes.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The first ```sh block after `heading`, as written. */
function shellBlock(heading: string): string {
  const from = README.indexOf(heading);
  if (from < 0) throw new Error(`README has no "${heading}"`);
  const match = /```sh\n([\s\S]*?)```/.exec(README.slice(from));
  if (match?.[1] === undefined) throw new Error(`no shell block after "${heading}"`);
  return match[1];
}

let dir: string;
/** The environment of a fresh terminal: nothing pointing the CLI or the stack elsewhere. */
const {
  KEYWARD_LOCAL_DIR: _dir,
  KEYWARD_URL: _url,
  KEYWARD_OPS_TOKEN: _token,
  ...terminal
} = process.env;
let stack: ChildProcess;

// The recipes run from a checkout, against `npm start`: a copy of the checkout made of links,
// so that its `.keyward/` is this test's own.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyward-recipes-"));
  for (const entry of readdirSync(ROOT))
    if (![".keyward", ".git"].includes(entry)) symlinkSync(join(ROOT, entry), join(dir, entry));
  const port = await freePort();
  // A keyring cache of 1 s and a pre-publication margin of 5 s: a rotation's new key stays
  // pending for 6 s (longer than a recipe takes from `rotate` to `status`, even on a busy
  // machine), then is current at the scheduler's next tick (every 10 s) instead of after 2
  // minutes; the recipes wait for it as written.
  stack = spawn(process.execPath, ["--import", "tsx", "functions/local/main.ts"], {
    cwd: dir,
    env: {
      ...terminal,
      PORT: String(port),
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "1",
      KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS: "5",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  stack.stdout?.on("data", (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!out.includes("CLI") && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  if (!out.includes("CLI")) throw new Error(`the local stack did not start: ${out}`);
}, 60_000);
afterAll(() => {
  stack?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Every shell block of the README's recipes section, the first one (definitions) apart. */
function recipes(): { title: string; script: string }[] {
  const from = README.indexOf("## Recipes");
  const section = README.slice(from, README.indexOf("\n## ", from + 1));
  const blocks = [...section.matchAll(/\*\*([^*]+)\*\*[\s\S]*?```sh\n([\s\S]*?)```/g)];
  return blocks.map((m) => ({ title: m[1] as string, script: m[2] as string }));
}

/** The statuses a recipe's comments promise for its `whoami` lines, in order. */
function promisedStatuses(script: string): string[] {
  return script
    .split("\n")
    .filter((line) => /\bwhoami \$/.test(line.split("#")[0] ?? ""))
    .map((line) => /#\s*(\d{3})\b/.exec(line)?.[1] ?? "?");
}

function run(title: string, timeout: number) {
  const recipe = recipes().find((r) => r.title.startsWith(title));
  if (recipe === undefined) throw new Error(`README has no recipe "${title}"`);
  const script = `${shellBlock("## Recipes")}\n${recipe.script}`;
  const result = spawnSync("bash", ["-c", script], {
    cwd: dir,
    env: terminal,
    encoding: "utf8",
    timeout,
  });
  expect(result.status, result.stderr).toBe(0);
  const statuses = result.stdout.split("\n").filter((line) => /^\d{3}$/.test(line));
  // Pasted as written, with no sleep between a revocation and the next request.
  expect(statuses, `${title}\n${result.stdout}`).toEqual(promisedStatuses(recipe.script));
  return result;
}

/** Waits until the stack's signing keyring has no pending key (the scheduler activated it). */
async function noKeyPending(): Promise<void> {
  const url = readFileSync(join(dir, ".keyward/url"), "utf8").trim();
  const credential = readFileSync(join(dir, ".keyward/ops-token"), "utf8").trim();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await fetch(`${url}/v1/keys`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    const { keys } = (await answer.json()) as { keys: { status: string }[] };
    if (!keys.some((key) => key.status === "pending")) return;
    if (Date.now() > deadline) throw new Error("a key stayed pending for 30 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("README recipes, run as written against the local stack", () => {
  it("the quick start: a token that works, then refused once revoked, and a rotation under way", () => {
    const result = spawnSync("bash", ["-c", shellBlock("## Quick start")], {
      cwd: dir,
      env: terminal,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ sub: "alice", keyStatus: "current" });
    expect(lines[1]).toBe("revoked (subject)");
    expect(JSON.parse(lines[2] as string)).toMatchObject({ error: { code: "revoked" } });
    expect(lines[3]).toMatch(/^graceful rotation: new key \S{22}, signing from /);
    expect(lines.slice(4).join("\n")).toMatch(/^pending\s+\S{22}/m);
  }, 60_000);

  it("every recipe has its run here", () => {
    expect(recipes().map((r) => r.title.split(" ").slice(0, 3).join(" "))).toEqual([
      "A login service",
      "A user reports",
      "An admin revokes",
      "A breach needs",
      "A quarterly rotation",
      "A leaked key",
      "A refresh token",
      "Rotating `SESSION_ENCRYPTION_KEY`",
    ]);
  });

  it("a login service issues a token", () => {
    const { stdout } = run("A login service", 30_000);
    expect(JSON.parse(stdout.trim())).toMatchObject({
      token: expect.any(String),
      kid: expect.any(String),
    });
  });

  it("a user reports account compromise: refused at the next request, a new login works at once", () => {
    const { stdout } = run("A user reports", 30_000);
    expect(stdout).toMatch(/revoked by subject rule/);
  });

  it("an admin revokes everyone holding a claim: refused at the next request", () => {
    run("An admin revokes", 30_000);
  });

  it("a breach needs a batch revocation: 5,000 subjects, journaled", () => {
    const { stdout } = run("A breach needs", 120_000);
    expect(stdout).toMatch(/revoke\.batch/);
  }, 120_000);

  it("a quarterly rotation: a new key pending, the old token still works", async () => {
    // The quick start's rotation must be done first: a second one is refused while a key waits.
    await noKeyPending();
    const { stdout } = run("A quarterly rotation", 60_000);
    expect(stdout).toMatch(/graceful rotation: new key \S{22}/);
    expect(stdout).toMatch(/^pending\s+\S{22}/m);
  }, 90_000);

  it("a leaked key: the old token refused at the next request, the new login works", () => {
    const { stdout } = run("A leaked key", 60_000);
    expect(stdout).toMatch(/revoked by kid rule/);
  }, 60_000);

  it("a refresh token leaked: the replay revokes the family, for both holders, and the journal says so", () => {
    const { stdout } = run("A refresh token", 60_000);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("200");
    expect(lines[1]).toMatch(/^[A-Za-z0-9_-]{22} {2}created .* {2}local {2}Firefox$/);
    expect(JSON.parse(lines[2] as string)).toMatchObject({
      error: { code: "refresh_token_reused" },
    });
    expect(JSON.parse(lines[3] as string)).toMatchObject({
      error: { code: "refresh_token_revoked" },
    });
    expect(lines[4]).toBe("401");
    expect(lines[5]).toMatch(/refresh\.reused +ok +family:[A-Za-z0-9_-]{22}/);
  }, 60_000);

  it("rotating SESSION_ENCRYPTION_KEY: imported, rotated, the session re-sealed under the new key, nobody logged out", () => {
    const { stdout, stderr } = run("Rotating `SESSION_ENCRYPTION_KEY`", 120_000);
    const lines = stdout.trim().split("\n");
    const imported = /^imported as key (\S{22}) \(current\) of the sessions keyring$/.exec(
      lines[0] as string,
    );
    expect(imported).not.toBeNull();
    expect(JSON.parse(lines[1] as string)).toEqual({ kid: imported?.[1] });
    const rotated = /^graceful rotation: new key (\S{22}), sealing from /.exec(lines[2] as string);
    expect(rotated).not.toBeNull();
    expect(JSON.parse(lines[3] as string)).toEqual({
      data: "cart=3",
      kid: rotated?.[1],
      resealed: false,
    });
    const status = lines.slice(4).join("\n");
    expect(status).toMatch(new RegExp(`^previous\\s+${imported?.[1]}\\s+A256GCM`, "m"));
    expect(status).toMatch(new RegExp(`^current\\s+${rotated?.[1]}\\s+A256GCM`, "m"));
    expect(status).toMatch(/retire +\S+/);
    // The key itself (44 characters of base64) is printed nowhere.
    expect(stdout + stderr).not.toMatch(/[A-Za-z0-9+/]{43}=/);
  }, 120_000);
});
