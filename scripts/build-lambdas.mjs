// Bundles each Lambda function keyward deploys (functions/<name>/index.ts) into
// dist/lambda/<name>/index.mjs: ESM for Node 22 (Lambda's nodejs22.x), minified, its dependencies
// inside. The CDK construct deploys these folders as they are (`Code.fromAsset`), so a team's
// CDK app needs no TypeScript source and no esbuild of its own. Runs on `npm install` (prepare)
// and before `npm run synth`; a second run with nothing changed takes about a second.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
export const LAMBDAS = [
  "authorizer",
  "ops-api",
  "issuer-api",
  "jwks",
  "rotation",
  "teardown",
  "sample",
];

export async function buildLambdas() {
  await Promise.all(
    LAMBDAS.map(async (name) => {
      const outdir = join(root, "dist/lambda", name);
      rmSync(outdir, { recursive: true, force: true });
      mkdirSync(outdir, { recursive: true });
      await build({
        entryPoints: [join(root, "functions", name, "index.ts")],
        outfile: join(outdir, "index.mjs"),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node22",
        minify: true,
        legalComments: "none",
        // Bundled CommonJS dependencies call require(); give them Node's.
        banner: {
          js: "import { createRequire as __keywardRequire } from 'node:module'; const require = __keywardRequire(import.meta.url);",
        },
        logLevel: "warning",
      });
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await buildLambdas();
