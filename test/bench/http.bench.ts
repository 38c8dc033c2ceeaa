import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { FileKeyringStore, localKeyringPath } from "../../shared/keyring-store/file.ts";
import {
  freePort,
  type RunningProcess,
  startProcess,
  waitUntilReady,
} from "../support/processes.ts";
import { type Figure, figure, median, percentile } from "./harness.ts";
import { benchServices } from "./services.ts";
import { mintTokens } from "./tokens.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const CONNECTIONS = 32;
const SECONDS = 3;
const ROUNDS = 5;
/** More tokens than a run can send at any rate this machine reaches: every request's token is new. */
const TOKENS_PER_SECOND = 40_000;

interface Run {
  readonly rps: number;
  readonly p99: number;
}

/**
 * HTTP end to end, every token fresh: `GET /whoami` on the local stack as `npm start` runs it
 * (revocations in Upstash, so its mirror is what decides) beside a bare Hono app behind
 * `hono/jwt`, each answering the token's claims. Both servers are processes on the services'
 * CPUs (scripts/bench.mjs); autocannon runs here, on the benchmark's own CPU. Alternating rounds;
 * a refused token fails the benchmark, as it would be a bug.
 */
export async function httpBenchmarks(): Promise<Figure[]> {
  const services = await benchServices();
  const dir = await mkdtemp(join(tmpdir(), "keyward-http-bench-"));
  const stackPort = await freePort();
  const stack = startProcess(
    "local stack",
    process.execPath,
    ["--import", "tsx", join(ROOT, "functions/local/main.ts")],
    {
      PORT: String(stackPort),
      KEYWARD_LOCAL_DIR: dir,
      UPSTASH_REDIS_REST_URL: services.upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: services.upstashToken,
    },
  );
  let peer: RunningProcess | undefined;
  try {
    const stackUrl = `http://127.0.0.1:${stackPort}`;
    await ready(stack, `${stackUrl}/.well-known/jwks.json`);
    const keyring = await new FileKeyringStore(localKeyringPath(dir, "signing")).load();
    const key = keyring?.keys.find((k) => k.status === "current");
    const jwk = key?.jwk;
    if (key === undefined || jwk?.k === undefined)
      throw new Error("the local stack made no HS256 signing key");
    const peerPort = await freePort();
    peer = startProcess(
      "hono/jwt",
      process.execPath,
      [join(ROOT, "test/bench/hono-jwt-server.mjs")],
      {
        BENCH_PORT: String(peerPort),
        BENCH_SECRET: jwk.k,
      },
    );
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    await ready(peer, `${peerUrl}/health`);

    const fresh = (seconds: number) =>
      mintTokens("HS256", key.kid, jwk, TOKENS_PER_SECOND * seconds, Date.now());
    await load(stackUrl, fresh(1), 1);
    await load(peerUrl, fresh(1), 1);
    const runs = { stack: [] as Run[], peer: [] as Run[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (["stack", "peer"] as const) : (["peer", "stack"] as const);
      for (const which of order) {
        const url = which === "stack" ? stackUrl : peerUrl;
        runs[which].push(await load(url, fresh(SECONDS), SECONDS));
      }
    }
    const rps = (list: Run[]) => median(list.map((r) => r.rps));
    const p99 = (list: Run[]) => median(list.map((r) => r.p99));
    return [
      figure(
        "http.fresh_tokens_rps",
        rps(runs.stack),
        "req/s",
        `bare Hono + hono/jwt (${CONNECTIONS} connections, every token new)`,
        rps(runs.peer),
        "ratio >= 1.0",
      ),
      figure(
        "http.fresh_tokens_p99_ms",
        p99(runs.stack),
        "ms",
        `bare Hono + hono/jwt p99 (${CONNECTIONS} connections, every token new)`,
        p99(runs.peer),
        "ratio <= 1.2",
      ),
    ];
  } finally {
    await peer?.stop();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function ready(service: RunningProcess, url: string): Promise<void> {
  await waitUntilReady(service, async () => (await fetch(url)).ok);
}

/** `seconds` of load on `GET /whoami`, each request with the next of `tokens`. */
async function load(base: string, tokens: readonly string[], seconds: number): Promise<Run> {
  let next = 0;
  // Each response's time as measured (autocannon's own percentiles are whole milliseconds).
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const running = autocannon(
      {
        url: `${base}/whoami`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: "GET",
            setupRequest: (request) => ({
              ...request,
              headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` },
            }),
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    running.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  if (next > tokens.length)
    throw new Error(`${base}: ${next} requests outran ${tokens.length} tokens`);
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${base}: ${failed} of ${result.requests.total} requests failed`);
  return { rps: result.requests.average, p99: percentile(latencies, 99) };
}
