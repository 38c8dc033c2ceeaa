// Compiles the package's library entry points, each to dist/<name>.mjs with its declarations
// under dist/<name>/ (the package's `exports`): `keyward/issuer` (shared/issuing/index.ts) and
// `keyward/sessions` (shared/sealing/index.ts). Dependencies (jose, aws4fetch) stay imports: they
// are the package's own dependencies. Runs on `npm install` / `npm ci` (prepare).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const ENTRIES = { issuer: "shared/issuing/index.ts", sessions: "shared/sealing/index.ts" };

for (const [name, entry] of Object.entries(ENTRIES)) {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, `dist/${name}.mjs`),
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });

  const types = join(root, `dist/${name}`);
  rmSync(types, { recursive: true, force: true });
  // scripts/tsconfig.<name>.json: the shared settings (tsconfig.package.json), this entry, this folder.
  execFileSync(
    process.execPath,
    [
      join(root, "node_modules/typescript/bin/tsc"),
      "-p",
      join(root, `scripts/tsconfig.${name}.json`),
    ],
    { stdio: "inherit" },
  );
  // The sources import each other as "./x.ts"; next to the declarations that is "./x.js".
  for (const file of readdirSync(types, { recursive: true })) {
    const path = join(types, String(file));
    if (!path.endsWith(".d.ts")) continue;
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace(/(from\s+"\.{1,2}\/[^"]+)\.ts"/g, '$1.js"'));
  }
}
