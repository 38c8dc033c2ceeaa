// Compiles `keyward/issuer` (shared/issuing/index.ts) to dist/issuer.mjs, with its declarations
// under dist/issuer/ (the package's `exports`). Dependencies (jose, aws4fetch) stay imports: they
// are the package's own dependencies. Runs on `npm install` / `npm ci` (prepare).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
await build({
  entryPoints: [join(root, "shared/issuing/index.ts")],
  outfile: join(root, "dist/issuer.mjs"),
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});

const types = join(root, "dist/issuer");
rmSync(types, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "scripts/tsconfig.issuer.json")],
  {
    stdio: "inherit",
  },
);
// The sources import each other as "./x.ts"; next to the declarations that is "./x.js".
for (const entry of readdirSync(types, { recursive: true })) {
  const file = join(types, String(entry));
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(/(from\s+"\.{1,2}\/[^"]+)\.ts"/g, '$1.js"'));
}
