// `npm run bench`: each suite of test/bench/run.ts in its own process. Suites that start local
// services run on CPU 0 with the services on the other CPUs (where the machine has two or more
// and `taskset`), so the client's work does not slow the server it is compared against. The
// verification suite runs unpinned: WebCrypto's thread pool needs the other cores.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const SUITES = [
  { name: "verification", services: false },
  { name: "peers", services: false },
  { name: "revocation", services: true },
  { name: "mirror", services: true },
  { name: "authorizer", services: true },
  { name: "ops", services: false },
  { name: "issuing", services: false },
  { name: "refresh", services: true },
  { name: "edge", services: false },
  { name: "http", services: true },
  { name: "sessions", services: true },
];

const args = process.argv.slice(2);
const json = args.includes("--json");
const only = args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const cpus = availableParallelism();
const canPin = cpus >= 2 && spawnSync("taskset", ["--version"]).status === 0;

let failed = false;
for (const suite of SUITES) {
  if (only !== undefined && only !== suite.name) continue;
  const pin = suite.services && canPin;
  const node = [
    process.execPath,
    "--expose-gc",
    "--import",
    "tsx",
    "test/bench/run.ts",
    `--only=${suite.name}`,
    ...(json ? ["--json"] : []),
  ];
  const command = pin ? ["taskset", "-c", "0", ...node] : node;
  const env = { ...process.env, ...(pin ? { KEYWARD_SERVICE_CPUS: `1-${cpus - 1}` } : {}) };
  if (!json && suite.services) {
    console.error(
      pin
        ? `(${suite.name}: bench on CPU 0, services on CPUs 1-${cpus - 1})`
        : `(${suite.name}: bench and services share the CPUs)`,
    );
  }
  const result = spawnSync(command[0], command.slice(1), { stdio: "inherit", env });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
