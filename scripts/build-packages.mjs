// Compiles the package's entry points (its `exports`), each to dist/<name>.mjs, minified ESM with
// keyward's own code inside and its dependencies (jose, aws4fetch, @upstash/redis) and peers
// (aws-cdk-lib, constructs, hono) left as imports; and their declarations, one tree under
// dist/types/. Runs on `npm install` / `npm ci` (prepare) and before `npm pack`.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
export const ENTRIES = {
  cdk: "infra/index.ts",
  hono: "functions/edge/hono.ts",
  issuer: "shared/issuing/index.ts",
  sessions: "shared/sealing/index.ts",
};

await Promise.all(
  Object.entries(ENTRIES).map(([name, entry]) =>
    build({
      entryPoints: [join(root, entry)],
      outfile: join(root, `dist/${name}.mjs`),
      bundle: true,
      packages: "external",
      platform: name === "hono" ? "neutral" : "node",
      // keyward/hono runs in Workers too: nothing of Node may be bundled in.
      ...(name === "hono" ? { conditions: ["workerd", "worker", "browser"] } : {}),
      format: "esm",
      target: "node20",
      minify: true,
      legalComments: "none",
      logLevel: "warning",
    }),
  ),
);

// scripts/tsconfig.package.json: every entry, declarations only, into dist/types/.
const types = join(root, "dist/types");
rmSync(types, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, "node_modules/typescript/bin/tsc"),
    "-p",
    join(root, "scripts/tsconfig.package.json"),
  ],
  { stdio: "inherit" },
);
// The sources import each other as "./x.ts"; next to the declarations that is "./x.js".
for (const file of readdirSync(types, { recursive: true })) {
  const path = join(types, String(file));
  if (!path.endsWith(".d.ts")) continue;
  const text = readFileSync(path, "utf8");
  writeFileSync(path, text.replace(/((?:from|import)\s*\(?\s*"\.{1,2}\/[^"]+)\.ts"/g, '$1.js"'));
}
