// Compiles the keyward CLI to one JavaScript file (dist/keyward.mjs), the package's `bin`, so the
// command runs from any directory without tsx. Runs on `npm install` / `npm ci` (prepare).
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const outfile = new URL("../dist/keyward.mjs", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../cli/main.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "none",
  // Bundled CommonJS dependencies call require(); give them Node's.
  banner: {
    js: 'import { createRequire as __keywardRequire } from "node:module"; const require = __keywardRequire(import.meta.url);',
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
