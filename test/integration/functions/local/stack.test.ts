import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import {
  type LocalStack,
  startLocalStack,
  storesFromEnv,
} from "../../../../functions/local/stack.ts";
import { motoEnvironment } from "../../../support/aws.ts";
import { movableClock } from "../../../support/clocks.ts";
import { startProxy } from "../../../support/http-proxy.ts";
import { freePort, runToEnd } from "../../../support/processes.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: Omit<Parameters<typeof startLocalStack>[0], "port" | "dir">) {
  const dir = mkdtempSync(join(tmpdir(), "keyward-local-"));
  const stack = await startLocalStack({ port: 0, dir, tickMs: 3_600_000, ...options });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => stack.stop(),
  );
  return stack;
}

function client(stack: LocalStack) {
  const ops = readFileSync(stack.tokenFile, "utf8").trim();
  const issuing = readFileSync(stack.issuerTokenFile, "utf8").trim();
  return {
    login: (sub: string) =>
      fetch(`${stack.url}/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${issuing}` },
        body: JSON.stringify({ sub }),
      }),
    whoami: (token: string) =>
      fetch(`${stack.url}/whoami`, { headers: { authorization: `Bearer ${token}` } }),
    revoke: (body: object) =>
      fetch(`${stack.url}/v1/revocations`, {
        method: "POST",
        headers: { authorization: `Bearer ${ops}`, "content-type": "application/json" },
        body: JSON.stringify({ ...body, reason: "test" }),
      }),
  };
}

describe("the local stack (npm start)", () => {
  it("refuses to start on a setting the authorizer would refuse, naming it and never its value", async () => {
    const run = await runToEnd(
      process.execPath,
      ["--import", "tsx", "functions/local/main.ts"],
      {
        PORT: String(await freePort()),
        KEYWARD_LOCAL_DIR: mkdtempSync(join(tmpdir(), "keyward-local-")),
        KEYWARD_REVOCATION_BUDGET_MS: "abc",
        KEYWARD_REVOCATION_FAILURE_MODE: "s3cr3t",
      },
      ROOT,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "KEYWARD_REVOCATION_BUDGET_MS must be a whole number from 10 to 5000",
    );
    expect(run.stderr).toContain("KEYWARD_REVOCATION_FAILURE_MODE must be one of closed, open");
    expect(run.stderr).not.toContain("s3cr3t");
  });

  for (const kind of ["memory", "Upstash"] as const) {
    it(`refuses a token at the very next request after its own revocation answered (${kind}; its clock never moves)`, async () => {
      const { upstashUrl, upstashToken } = inject("services");
      // Time stands still: the mirror is as fresh as it will ever be, so only the write can tell it.
      const clock = movableClock();
      const stack = await started({
        clock,
        ...(kind === "Upstash"
          ? {
              stores: storesFromEnv({
                UPSTASH_REDIS_REST_URL: upstashUrl,
                UPSTASH_REDIS_REST_TOKEN: upstashToken,
              }),
            }
          : {}),
      });
      const { login, whoami, revoke } = client(stack);
      const sub = `user-${randomUUID()}`;
      const { token } = (await (await login(sub)).json()) as { token: string };
      expect((await whoami(token)).status).toBe(200);
      expect((await revoke({ sub })).status).toBe(201);
      const refused = await whoami(token);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { code: "revoked" } });
      // A new login right after works.
      const again = (await (await login(sub)).json()) as { token: string };
      expect((await whoami(again.token)).status).toBe(200);
    });
  }

  it("answers a login with 503 within seconds while Secrets Manager hangs, never hanging itself (delay injected by a proxy)", async () => {
    const moto = await startProxy(inject("services").motoUrl);
    cleanups.push(() => moto.stop());
    const stack = await started({
      stores: storesFromEnv({
        ...motoEnvironment(moto.url),
        KEYWARD_SECRET_PREFIX: `keyward/${randomUUID()}`,
      }),
    });
    moto.setFault({ kind: "delay", ms: 120_000 });
    const { login } = client(stack);
    const started_ = performance.now();
    const answer = await login("alice");
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: "keyring_unavailable" } });
    // Two attempts of at most 5 s each (the clients' limits), far from the 2 min hang.
    expect(performance.now() - started_).toBeLessThan(60_000);
  }, 120_000);
});
