import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

/** A port nobody listens on right now, from the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** The path of an executable: `name` itself when it holds a slash, else the first match on PATH. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, name));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export class MissingService extends Error {}

export function requireExecutable(name: string, installHint: string): string {
  const found = findExecutable(name);
  if (found === undefined) {
    throw new MissingService(
      `${name} is not installed; the integration tests need it. Install it with:\n  ${installHint}`,
    );
  }
  return found;
}

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<RunningProcess>();
// Whatever happens to the test process, its services go with it.
process.once("exit", () => {
  for (const service of running) service.child.kill("SIGKILL");
});

export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): RunningProcess {
  // Benchmarks pin the services to their own cores (KEYWARD_SERVICE_CPUS, see scripts/bench.mjs)
  // so client and server do not compete for one CPU, as they never do in production.
  const cpus = process.env.KEYWARD_SERVICE_CPUS;
  const [file, argv] =
    cpus === undefined ? [command, args] : ["taskset", ["-c", cpus, command, ...args]];
  const child = spawn(file, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const service: RunningProcess = {
    name,
    child,
    output: () => output,
    async stop() {
      running.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(service);
  return service;
}

/** Polls `ready` until it answers true, the process dies, or `timeoutMs` passes. */
export async function waitUntilReady(
  service: RunningProcess,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${service.child.exitCode}:\n${service.output()}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await service.stop();
  throw new Error(
    `${service.name} did not become ready within ${timeoutMs} ms:\n${service.output()}`,
  );
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end with only `env` (and PATH), collecting what it printed. */
export function runToEnd(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd?: string,
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      ...(cwd === undefined ? {} : { cwd }),
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
