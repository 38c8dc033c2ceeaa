import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findExecutable,
  freePort,
  MissingService,
  type RunningProcess,
  requireExecutable,
  startProcess,
  waitUntilReady,
} from "./processes.ts";

/** Addresses of the real services the integration suites run against. */
export interface ServiceEndpoints {
  readonly redisUrl: string;
  readonly upstashUrl: string;
  readonly upstashToken: string;
  readonly motoUrl: string;
  /** The services' processes (the Redis, its REST server, moto). */
  readonly pids: readonly number[];
}

export interface Services extends ServiceEndpoints {
  stop(): Promise<void>;
}

const ROOT = new URL("../..", import.meta.url).pathname;
export const INSTALL = {
  redis:
    "node scripts/test-services.mjs   (valkey-server into .venv), or apt-get install -y redis-server",
  moto: "node scripts/test-services.mjs   (moto into .venv, from requirements-dev.txt)",
  upstash: "npm install   (it installs @humanwhocodes/upstash-redis-server)",
} as const;

/** Starts redis-server, the Upstash REST server in front of it, and moto, each on a free port. */
export async function startServices(): Promise<Services> {
  const started: RunningProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-redis-"));
  try {
    const redis = await startRedis(dataDir);
    started.push(redis.process);
    // Started side by side; whichever succeeded is stopped if the other failed.
    const [upstash, moto] = await Promise.allSettled([startUpstashRest(redis.url), startMoto()]);
    for (const result of [upstash, moto])
      if (result.status === "fulfilled") started.push(result.value.process);
    if (upstash.status === "rejected") throw upstash.reason;
    if (moto.status === "rejected") throw moto.reason;
    return {
      redisUrl: redis.url,
      upstashUrl: upstash.value.url,
      upstashToken: upstash.value.token,
      motoUrl: moto.value.url,
      pids: started.flatMap((service) =>
        service.child.pid === undefined ? [] : [service.child.pid],
      ),
      async stop() {
        await Promise.all(started.map((service) => service.stop()));
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A Redis of its own behind its own REST server, started with `settings` (e.g. an eviction policy
 * the shared one must not have); `stop` ends both.
 */
export async function startOwnUpstash(
  settings: readonly string[],
): Promise<{ url: string; token: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "keyward-redis-"));
  const redis = await startRedis(dir, settings);
  const stopRedis = async () => {
    await redis.process.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rest = await startUpstashRest(redis.url);
    return {
      url: rest.url,
      token: rest.token,
      async stop() {
        await rest.process.stop();
        await stopRedis();
      },
    };
  } catch (error) {
    await stopRedis();
    throw error;
  }
}

/** Starts a Redis without persistence; `settings` are more `--name value` pairs for its command line. */
export async function startRedis(
  dataDir: string,
  settings: readonly string[] = [],
): Promise<{ url: string; process: RunningProcess }> {
  // redis-server from PATH, else the valkey-server scripts/test-services.mjs put in .venv.
  const binary =
    findExecutable("redis-server") ??
    requireExecutable(join(ROOT, ".venv/bin/valkey-server"), INSTALL.redis);
  const port = await freePort();
  const service = startProcess("redis-server", binary, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dataDir,
    ...settings,
  ]);
  await waitUntilReady(service, () => answersPing(port));
  return { url: `redis://127.0.0.1:${port}`, process: service };
}

/**
 * The Upstash REST server in front of `redisUrl`, on 127.0.0.1 only, with a fresh credential;
 * `more` adds credentials of their own, each mapped to another Redis URL (an ACL user).
 */
export async function startUpstashRest(
  redisUrl: string,
  more: Readonly<Record<string, string>> = {},
): Promise<{ url: string; token: string; process: RunningProcess }> {
  const script = join(ROOT, "test/support/upstash-rest-server.mjs");
  if (!existsSync(join(ROOT, "node_modules/@humanwhocodes/upstash-redis-server"))) {
    throw new MissingService(
      `@humanwhocodes/upstash-redis-server is not installed. Install it with:\n  ${INSTALL.upstash}`,
    );
  }
  const port = await freePort();
  const token = randomBytes(24).toString("base64url");
  const service = startProcess("upstash-redis-server", process.execPath, [script], {
    URS_TOKENS: JSON.stringify({ ...more, [token]: redisUrl }),
    PORT: String(port),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(service, async () => {
    const answer = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: '["PING"]',
    });
    return ((await answer.json()) as { result?: unknown }).result === "PONG";
  });
  return { url, token, process: service };
}

export async function startMoto(): Promise<{ url: string; process: RunningProcess }> {
  const binary = requireExecutable(join(ROOT, ".venv/bin/moto_server"), INSTALL.moto);
  const port = await freePort();
  const service = startProcess("moto_server", binary, ["-H", "127.0.0.1", "-p", String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(service, async () => (await fetch(`${url}/moto-api/`)).ok);
  return { url, process: service };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(500);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
