import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { kmsFromEnvironment } from "../../../../shared/keyring-store/kms-keys.ts";
import { motoEnvironment } from "../../../support/aws.ts";
import { issue, ROOT } from "../../../support/cli.ts";
import { freePort, runToEnd } from "../../../support/processes.ts";

/** PyJWT, a relying service in Python, verifying a token from the stack's public JWKS alone. */
const pyjwt = (url: string, token: string) =>
  runToEnd(
    join(ROOT, ".venv/bin/python"),
    [join(ROOT, "test/clients/pyjwt_verify.py"), `${url}/.well-known/jwks.json`, token],
    { PATH: process.env.PATH ?? "" },
  );

describe("npm start with signing keys in KMS (moto)", () => {
  it("issues tokens KMS signed, which the local stack and PyJWT accept; an emergency disables the old key in KMS and both refuse its tokens", async () => {
    const aws = motoEnvironment(inject("services").motoUrl);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const local = mkdtempSync(join(tmpdir(), "keyward-kms-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "functions/local/main.ts")],
      {
        env: {
          ...process.env,
          ...aws,
          PORT: String(port),
          KEYWARD_LOCAL_DIR: local,
          KEYWARD_ALGORITHM: "ES256",
          KEYWARD_SIGNING_KEYS: "kms",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes("CLI") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain("signing keys   AWS KMS (ES256)");
      const stored = JSON.parse(readFileSync(join(local, "keyring.json"), "utf8"));
      const [first] = stored.keys;
      expect(first).toMatchObject({
        alg: "ES256",
        kms: { arn: expect.stringMatching(/^arn:aws:kms:/) },
      });
      expect(Object.keys(first.jwk).sort()).toEqual(["crv", "kty", "x", "y"]);

      const login = async (sub: string) =>
        ((await (await issue(url, local, JSON.stringify({ sub }))).json()) as { token: string })
          .token;
      const whoami = (token: string) =>
        fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
      const before = await login("alice");
      expect(await (await whoami(before)).json()).toMatchObject({ sub: "alice", kid: first.kid });
      const verified = await pyjwt(url, before);
      expect(verified).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(verified.stdout)).toMatchObject({ sub: "alice" });

      const credential = readFileSync(join(local, "ops-token"), "utf8").trim();
      const listed = await fetch(`${url}/v1/keys`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      expect(((await listed.json()) as { keys: unknown[] }).keys).toEqual([
        expect.objectContaining({ kid: first.kid, kmsKeyArn: first.kms.arn }),
      ]);
      const rotated = await fetch(`${url}/v1/keys/rotate`, {
        method: "POST",
        headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
        body: JSON.stringify({ mode: "immediate", reason: "key leaked in a log" }),
      });
      expect(rotated.status).toBe(200);
      expect(await kmsFromEnvironment(aws).state(first.kms.arn)).toBe("Disabled");
      expect((await whoami(before)).status).toBe(401);
      expect(await pyjwt(url, before)).toMatchObject({ code: 1 });
      const after = await login("alice");
      expect((await whoami(after)).status).toBe(200);
      expect(await pyjwt(url, after)).toMatchObject({ code: 0 });
      expect(out).not.toContain(after.split(".")[2]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);
});
