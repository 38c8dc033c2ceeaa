import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalStack } from "../support/cli.ts";
import { NODES, useConsumer } from "../support/consumers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const consumer = useConsumer("cli", {});
const local = useLocalStack();

describe("the keyward bin, installed from the tarball", () => {
  it("answers `npx keyward --version` on the machine's Node, and on Node 22", async () => {
    expect(await consumer.run("npx", ["keyward", "--version"])).toMatchObject({
      code: 0,
      stdout: `keyward ${VERSION}\n`,
    });
    const bin = join(consumer.dir, "node_modules/.bin/keyward");
    expect(await consumer.run(NODES.node22, [bin, "--version"])).toMatchObject({
      stdout: `keyward ${VERSION}\n`,
    });
  });

  it("shows `keyward status` of a local stack (npm start), finding it from its folder", async () => {
    const status = await consumer.run("npx", ["keyward", "status"], {
      KEYWARD_LOCAL_DIR: local.dir,
    });
    expect(status, status.stderr).toMatchObject({ code: 0 });
    expect(status.stdout).toMatch(/^current\s+\S{22}\s+HS256/m);
  });
});
