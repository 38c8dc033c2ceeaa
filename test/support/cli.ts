import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type LocalStack, startLocalStack } from "../../functions/local/stack.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `keyward ARGS` from the checkout's source, in `env` on top of this process's, `input` on stdin. */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
  input = "",
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(input);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** A login through a local stack's issuing endpoint, with its client credential from `dir`. */
export function issue(url: string, dir: string, body: string): Promise<Response> {
  const credential = readFileSync(join(dir, "issuer-token"), "utf8").trim();
  return fetch(`${url}/v1/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}` },
    body,
  });
}

/**
 * A local stack of the test file's own (started before its tests, stopped after), with the CLI
 * pointed at it: `keyward(args)` runs a command against it, `mint(sub)` logs in, `whoami(token)`
 * calls its sample route.
 */
export function useLocalStack(
  options: Partial<Omit<Parameters<typeof startLocalStack>[0], "dir">> = {},
) {
  let dir = "";
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyward-cli-"));
    stack = await startLocalStack({ port: 0, tickMs: 3_600_000, ...options, dir });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const local = {
    get dir() {
      return dir;
    },
    get stack(): LocalStack {
      if (stack === undefined) throw new Error("the local stack starts before the tests");
      return stack;
    },
    /** Its environment for the CLI: its URL and local directory, no credential given. */
    env: (): Record<string, string> => ({
      KEYWARD_URL: local.stack.url,
      KEYWARD_LOCAL_DIR: dir,
      KEYWARD_OPS_TOKEN: "",
    }),
    start: (args: readonly string[], env: Record<string, string> = {}) =>
      startCli(args, { ...local.env(), ...env }),
    keyward: (args: readonly string[], env: Record<string, string> = {}) =>
      local.start(args, env).done,
    mint: async (sub: string): Promise<string> => {
      const answer = await issue(local.stack.url, dir, JSON.stringify({ sub }));
      return ((await answer.json()) as { token: string }).token;
    },
    whoami: (token: string) =>
      fetch(`${local.stack.url}/whoami`, { headers: { authorization: `Bearer ${token}` } }),
  };
  return local;
}
