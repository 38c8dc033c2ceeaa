import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward console", () => {
  it("serves the console on 127.0.0.1 over the ops API with the operator's credential, at an address holding this launch's secret, until Ctrl-C", async () => {
    const { child, done } = local.start(["console", "--no-open"]);
    let printed = "";
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (chunk) => {
        printed += chunk;
        const found = /http:\/\/127\.0\.0\.1:\d+\/console\?k=[A-Za-z0-9_-]{43}/.exec(printed);
        if (found) resolve(found[0]);
      });
      child.once("exit", () => reject(new Error(`keyward console exited: ${printed}`)));
    });
    const origin = new URL(address).origin;
    expect((await fetch(`${origin}/console`)).status).toBe(403);
    const opened = await fetch(address, { redirect: "manual" });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get("set-cookie")?.split(";")[0] ?? "";
    const overview = await fetch(`${origin}/console`, { headers: { cookie } });
    expect(overview.status).toBe(200);
    const page = await overview.text();
    expect(page).toContain("local (admin)");
    expect(page).toContain("signing keyring");
    expect(overview.headers.get("content-security-policy")).toContain("default-src 'none'");
    // Nothing of the operator's credential reaches the page.
    const credential = readFileSync(join(local.dir, "ops-token"), "utf8").trim();
    expect(page).not.toContain(credential);
    child.kill("SIGINT");
    expect((await done).code).toBe(0);
  });

  it("says which port is taken", async () => {
    const busy = new URL(local.stack.url).port;
    const run = await local.keyward(["console", "--no-open", "--port", busy]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`port ${busy} is in use`);
  });
});
