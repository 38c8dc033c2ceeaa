import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Miniflare } from "miniflare";
import { buildEdge } from "../../scripts/build-edge.mjs";

/** The compatibility date of wrangler.jsonc: the tests run the Worker as it is deployed. */
export const COMPATIBILITY_DATE = "2026-07-30";

const built: { bundle?: Promise<string>; clocked?: Promise<string> } = {};

/** The edge bundle, built once per test file the way `scripts/build-edge.mjs` builds it. */
export function edgeBundle(): Promise<string> {
  built.bundle ??= buildEdge().then((edge) => edge.code);
  return built.bundle;
}

/** The same Worker with a clock the test moves (`test/edge/clocked-worker.ts`). */
function clockedBundle(): Promise<string> {
  built.clocked ??= buildEdge({ entry: "test/edge/clocked-worker.ts" }).then((edge) => edge.code);
  return built.clocked;
}

export interface RunningWorker {
  /** A request to the Worker inside workerd. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Moves the Worker's clock ahead (a clocked Worker only). */
  advance(ms: number): Promise<void>;
  /** Every line the Worker wrote to stdout and stderr so far. */
  lines(): string[];
  stop(): Promise<void>;
}

/**
 * The edge Worker inside workerd (Miniflare 4), with `bindings` as its environment: the deployed
 * bundle, or with `clocked` the same Worker with a clock the test moves.
 */
export async function startWorker(
  bindings: Record<string, string>,
  { clocked = false } = {},
): Promise<RunningWorker> {
  const output: string[] = [];
  const mf = new Miniflare({
    modules: true,
    script: await (clocked ? clockedBundle() : edgeBundle()),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      stdout.on("data", (chunk) => output.push(String(chunk)));
      stderr.on("data", (chunk) => output.push(String(chunk)));
    },
  });
  await mf.ready;
  return {
    fetch: async (path, init) =>
      (await mf.dispatchFetch(`http://edge.test${path}`, init as never)) as unknown as Response,
    async advance(ms) {
      if (!clocked) throw new Error("only a clocked Worker's time can be moved");
      const answer = await mf.dispatchFetch("http://edge.test/__test/clock", {
        method: "POST",
        body: String(ms),
      });
      if (answer.status !== 204) throw new Error(`the clock did not move: ${answer.status}`);
    },
    lines: () =>
      output
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== ""),
    stop: () => mf.dispose(),
  };
}

export interface OriginRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** An origin on a free port that records what reached it and answers 200. */
export async function startOrigin(): Promise<{
  url: string;
  received: OriginRequest[];
  stop: () => Promise<void>;
}> {
  const received: OriginRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    response.writeHead(200, { "content-type": "text/plain" }).end("from the origin");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
