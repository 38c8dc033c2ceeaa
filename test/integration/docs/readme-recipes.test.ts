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
  // A keyring cache of 1 s and no pre-publication margin: a rotation's new key is current at the
  // scheduler's next tick (10 s) instead of after 2 minutes; the recipes wait for it as written.
  stack = spawn(process.execPath, ["--import", "tsx", "functions/local/main.ts"], {
    cwd: dir,
    env: {
      ...terminal,
      PORT: String(port),
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "1",
      KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS: "0",
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

describe("README recipes, run as written against the local stack", () => {
  it("a refresh token leaked: the replay revokes the family, for both holders, and the journal says so", () => {
    const script = `${shellBlock("## Recipes (the runbooks, automated)")}\n${shellBlock("**A refresh token leaked**")}`;
    const run = spawnSync("bash", ["-c", script], {
      cwd: dir,
      env: terminal,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
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
    const script = `${shellBlock("## Recipes (the runbooks, automated)")}\n${shellBlock("**Rotating `SESSION_ENCRYPTION_KEY`**")}`;
    const run = spawnSync("bash", ["-c", script], {
      cwd: dir,
      env: terminal,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
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
    expect(run.stdout + run.stderr).not.toMatch(/[A-Za-z0-9+/]{43}=/);
  }, 120_000);
});
