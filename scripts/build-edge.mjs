// Bundles the edge Worker (functions/edge/worker.ts) the way wrangler does (ES module, the
// workerd/worker/browser export conditions, no Node built-ins): for the tests inside workerd and
// the size benchmark. `wrangler deploy` bundles the same entry itself (wrangler.jsonc).
// Run as a script it writes dist/edge/worker.mjs and prints the sizes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

/** How a Worker is bundled: `platform: "browser"` makes any Node built-in a build error. */
export const WORKER_BUILD = {
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "silent",
};

/** Builds the edge Worker (or, for the tests, another entry around it). */
export async function buildEdge({ minify = true, entry = "functions/edge/worker.ts" } = {}) {
  const result = await build({
    ...WORKER_BUILD,
    entryPoints: [join(root, entry)],
    minify,
  });
  const code = result.outputFiles[0].text;
  return {
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { code, bytes, gzipBytes } = await buildEdge();
  mkdirSync(join(root, "dist/edge"), { recursive: true });
  writeFileSync(join(root, "dist/edge/worker.mjs"), code);
  console.log(`dist/edge/worker.mjs: ${bytes} bytes minified, ${gzipBytes} gzipped`);
}
