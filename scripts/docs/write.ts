import { writeBenchmarksPage } from "./benchmarks.ts";
import { writeSettingsPage } from "./settings.ts";

// `npm run docs`: the generated parts of docs/ from their sources. `-- --bench FILE` also writes
// docs/benchmarks.md's figures from a run's `npm run bench -- --json` output.
await writeSettingsPage();
const bench = process.argv.indexOf("--bench");
if (bench >= 0) {
  const file = process.argv[bench + 1];
  if (file === undefined) throw new Error("--bench needs the file `npm run bench -- --json` wrote");
  await writeBenchmarksPage(file);
}
