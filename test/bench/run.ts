/**
 * `npm run bench`: every benchmark, figures as ratios to baselines measured in the same run.
 * `npm run bench -- --json` prints one JSON object per line.
 */
import { authorizerBenchmarks } from "./authorizer.bench.ts";
import { edgeBenchmarks } from "./edge.bench.ts";
import { type Figure, printFigures } from "./harness.ts";
import { httpBenchmarks } from "./http.bench.ts";
import { issuingBenchmarks } from "./issuing.bench.ts";
import { mirrorBenchmarks } from "./mirror.bench.ts";
import { opsBenchmarks } from "./ops.bench.ts";
import { peersBenchmarks } from "./peers.bench.ts";
import { refreshBenchmarks } from "./refresh.bench.ts";
import { revocationBenchmarks } from "./revocation.bench.ts";
import { stopBenchServices } from "./services.ts";
import { sessionsBenchmarks } from "./sessions.bench.ts";
import { verificationBenchmarks } from "./verification.bench.ts";

const suites: Record<string, () => Promise<Figure[]>> = {
  verification: verificationBenchmarks,
  peers: peersBenchmarks,
  revocation: revocationBenchmarks,
  mirror: mirrorBenchmarks,
  authorizer: authorizerBenchmarks,
  ops: opsBenchmarks,
  issuing: issuingBenchmarks,
  refresh: refreshBenchmarks,
  edge: edgeBenchmarks,
  http: httpBenchmarks,
  sessions: sessionsBenchmarks,
};

const json = process.argv.includes("--json");
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);

// A suite that fails is named and the others still run; the exit code says a figure is missing.
const failed: string[] = [];
try {
  for (const [name, suite] of Object.entries(suites)) {
    if (only !== undefined && only !== name) continue;
    if (!json) console.log(`# ${name}`);
    try {
      printFigures(await suite(), json);
    } catch (error) {
      failed.push(name);
      const message = (error as Error).message;
      if (json) console.log(JSON.stringify({ suite: name, error: message }));
      else console.log(`(${name}: not measured: ${message})`);
    }
  }
} finally {
  await stopBenchServices();
}
if (failed.length > 0) {
  console.error(`not measured: ${failed.join(", ")}`);
  process.exitCode = 1;
}
