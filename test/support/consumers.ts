import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, inject } from "vitest";

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const ROOT = new URL("../..", import.meta.url).pathname;
const APPS = join(ROOT, "test/consumers/apps");

/** This machine's PATH without the checkout's own folders (its node_modules/.bin above all). */
export const CONSUMER_PATH = (process.env.PATH ?? "")
  .split(":")
  .filter((entry) => !entry.startsWith(ROOT))
  .join(":");

/** `command ARGS` in `cwd`, `input` on stdin, with `env` on top of a plain environment. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
  input = "",
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: CONSUMER_PATH, HOME: process.env.HOME ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The machine's own Node (20 here) and the checkout's Node 22: consumers must work on both. */
export const NODES = {
  system: "/usr/bin/node",
  node22: join(ROOT, "node_modules/.bin/node"),
} as const;

/**
 * A team's project in a temporary directory: the app of test/consumers/apps/<app>, and
 * `npm install` of the packed tarball and the public packages it names (from npm's cache when it
 * has them), nothing of the checkout. Made before the file's tests, removed after.
 */
export function useConsumer(app: string, dependencies: Record<string, string>) {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `keyward-consumer-${app}-`));
    cpSync(join(APPS, app), dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: `consumer-${app}`, private: true, type: "module" }, null, 2),
    );
    execFileSync(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        inject("tarball"),
        ...Object.entries(dependencies).map(([name, version]) => `${name}@${version}`),
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
    );
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    /** `node FILE ARGS` in the project (Node 22 unless told), `env` on top of a plain one. */
    node: (
      file: string,
      options: {
        args?: string[];
        env?: Record<string, string>;
        input?: string;
        node?: string;
      } = {},
    ): Promise<Run> =>
      run(
        options.node ?? NODES.node22,
        [file, ...(options.args ?? [])],
        dir,
        options.env,
        options.input,
      ),
    /** Any command in the project. */
    run: (command: string, args: readonly string[], env: Record<string, string> = {}) =>
      run(command, args, dir, env),
  };
}
