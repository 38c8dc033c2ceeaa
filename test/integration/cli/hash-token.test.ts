import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startCli } from "../../support/cli.ts";

describe("keyward hash-token", () => {
  it("hashes an operator credential read on stdin, as the ops API compares it", async () => {
    const credential = "a-new-operator-credential-0123456789";
    const run = await startCli(["hash-token"], {}, `${credential}\n`).done;
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout.trim()).toBe(createHash("sha256").update(credential).digest("hex"));
  });

  it("refuses a credential shorter than 32 characters", async () => {
    const run = await startCli(["hash-token"], {}, "short\n").done;
    expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining("at least 32") });
  });
});
