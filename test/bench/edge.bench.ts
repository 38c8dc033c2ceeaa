import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { buildEdge, WORKER_BUILD } from "../../scripts/build-edge.mjs";
import { cryptoRandom } from "../../shared/kernel/random.ts";
import { serializeKeyring } from "../../shared/keyring/serialize.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { newKeyring } from "../support/keyrings.ts";
import { COMPATIBILITY_DATE } from "../support/workerd.ts";
import { runRequests, verifiedApp } from "./edge-cpu.ts";
import { type Figure, figure, median } from "./harness.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const ROUNDS = 15;
const PER_ROUND = 1000;
const WARMUP = 1000;

/** Bundles `contents` (an entry module) as the edge Worker is built. */
async function bundleOf(contents: string): Promise<string> {
  const result = await build({
    ...WORKER_BUILD,
    stdin: { contents, resolveDir: ROOT, loader: "ts" },
  });
  return result.outputFiles[0]?.text ?? "";
}

/**
 * The edge Worker as it ships (scripts/build-edge.mjs) against the least a hand-written JWT
 * Worker bundles (Hono and jose's jwtVerify); and the CPU time of one verified request inside
 * workerd against the same code in Node, in alternating rounds: each round sends fresh HS256
 * tokens (first seen, so no verified-token cache) through the middleware and a route that
 * answers at once, revocations in memory (no I/O: workerd's clock only moves on I/O, so the
 * time of a dispatch with the tokens, less one with none, is CPU time).
 */
export async function edgeBenchmarks(): Promise<Figure[]> {
  const edge = await buildEdge();
  const bare = await bundleOf(
    'import { Hono } from "hono"; import { jwtVerify } from "jose"; const app = new Hono(); app.get("/", async (c) => c.json(await jwtVerify(c.req.header("authorization") ?? "", new Uint8Array(32)))); export default app;',
  );

  const keyring = await newKeyring("HS256", Date.now(), cryptoRandom);
  const signer = createSigner({ lifetimeSeconds: 3600 });
  const total = WARMUP + ROUNDS * PER_ROUND;
  const mint = () =>
    Promise.all(
      Array.from({ length: total }, (_, i) => signer.sign(keyring, { sub: `u${i}` }, Date.now())),
    );
  const [workerTokens, nodeTokens] = [await mint(), await mint()];
  const worker = await build({
    ...WORKER_BUILD,
    entryPoints: [join(ROOT, "test/bench/edge-cpu-worker.ts")],
  });
  const mf = new Miniflare({
    modules: true,
    script: worker.outputFiles[0]?.text ?? "",
    compatibilityDate: COMPATIBILITY_DATE,
  });
  try {
    const setup = await mf.dispatchFetch("http://bench/setup", {
      method: "POST",
      body: JSON.stringify({ keyring: serializeKeyring(keyring), tokens: workerTokens }),
    });
    if ((await setup.text()) !== "ready") throw new Error("the benchmark Worker did not start");
    const run = async (from: number, count: number, app = "keyward") => {
      const started = performance.now();
      const answer = await mf.dispatchFetch(
        `http://bench/run?app=${app}&from=${from}&count=${count}`,
        { method: "POST" },
      );
      if (answer.status !== 200) throw new Error(`the benchmark Worker answered ${answer.status}`);
      await answer.text();
      return performance.now() - started;
    };
    const app = await verifiedApp(keyring);
    await run(0, WARMUP);
    await run(0, WARMUP, "hono");
    await runRequests(app, nodeTokens.slice(0, WARMUP));

    const inWorkerd: number[] = [];
    const honoInWorkerd: number[] = [];
    const inNode: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const from = WARMUP + round * PER_ROUND;
      const measureWorkerd = (which: "keyward" | "hono", into: number[]) => async () => {
        const empty = median([
          await run(0, 0, which),
          await run(0, 0, which),
          await run(0, 0, which),
        ]);
        into.push(((await run(from, PER_ROUND, which)) - empty) / PER_ROUND);
      };
      const measureNode = async () => {
        const started = performance.now();
        await runRequests(app, nodeTokens.slice(from, from + PER_ROUND));
        inNode.push((performance.now() - started) / PER_ROUND);
      };
      const steps = [
        measureWorkerd("keyward", inWorkerd),
        measureWorkerd("hono", honoInWorkerd),
        measureNode,
      ];
      for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
    }
    return [
      figure(
        "edge.bundle_kb",
        edge.bytes / 1024,
        "kB",
        "Hono + jose jwtVerify, bundled alike",
        Buffer.byteLength(bare) / 1024,
        "<= 100 kB minified",
      ),
      figure(
        "edge.bundle_gzip_kb",
        edge.gzipBytes / 1024,
        "kB",
        "Hono + jose jwtVerify, gzipped",
        gzipSync(bare, { level: 9 }).length / 1024,
        "report",
      ),
      figure(
        "edge.cpu_per_request_us",
        median(inWorkerd) * 1000,
        "µs",
        "the same verified request in Node",
        median(inNode) * 1000,
        "<= 1.5x",
      ),
      figure(
        "edge.cpu_vs_hono_jwt_us",
        median(inWorkerd) * 1000,
        "µs",
        "hono/jwt's middleware with a CryptoKey, inside workerd",
        median(honoInWorkerd) * 1000,
        "ratio <= 1.0",
      ),
    ];
  } finally {
    await mf.dispose();
  }
}
