import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward status", () => {
  it("reads the local credential from .keyward/ops-token (mode 0600) and shows the keys", async () => {
    expect(statSync(join(local.dir, "ops-token")).mode & 0o777).toBe(0o600);
    const run = await local.keyward(["status"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^current\s+\S{22}\s+HS256/m);
  });

  it("finds the local stack from the URL it wrote beside its credential, and takes a URL ending in /v1", async () => {
    expect(readFileSync(join(local.dir, "url"), "utf8").trim()).toBe(local.stack.url);
    expect((await local.keyward(["status"], { KEYWARD_URL: "" })).code).toBe(0);
    expect((await local.keyward(["status"], { KEYWARD_URL: `${local.stack.url}/v1` })).code).toBe(
      0,
    );
  });
});
