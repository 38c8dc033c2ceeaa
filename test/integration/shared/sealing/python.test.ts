import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cryptoRandom } from "../../../../shared/kernel/random.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import { createKeyring } from "../../../../shared/keyring/transitions.ts";
import { createSealer } from "../../../../shared/sealing/sealer.ts";
import { runToEnd } from "../../../support/processes.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;

describe("the session envelope across implementations (Python's cryptography AESGCM, from .venv)", () => {
  it("opens in keyward what Python sealed, and in Python what keyward sealed; a changed AAD fails in both", async () => {
    const key = await generateKey("A256GCM", Date.now(), cryptoRandom);
    const keyring = createKeyring(key, Date.now());
    const sealer = createSealer({
      keyrings: { get: async () => ({ ok: true, keyring, ageMs: 0, stale: false }) },
    });
    const python = (...args: string[]) =>
      runToEnd(
        join(ROOT, ".venv/bin/python"),
        [join(ROOT, "test/clients/sessions_aesgcm.py"), ...args],
        {
          SESSION_KEY: String(key.jwk?.k),
          PATH: process.env.PATH ?? "",
        },
      );
    const session = JSON.stringify({ user: "alice", scopes: ["read"], note: "é ✓" });

    const fromPython = await python("seal", key.kid, "session-7", session);
    expect(fromPython).toMatchObject({ code: 0, stderr: "" });
    const opened = await sealer.open(fromPython.stdout.trim(), { aad: "session-7" });
    expect(opened).toMatchObject({ ok: true, kid: key.kid, reseal: false });
    expect(new TextDecoder().decode((opened as { plaintext: Uint8Array }).plaintext)).toBe(session);
    expect(await sealer.open(fromPython.stdout.trim(), { aad: "session-8" })).toMatchObject({
      ok: false,
      reason: "tampered",
    });

    const fromKeyward = await sealer.seal(session, { aad: "session-7" });
    expect(await python("open", "session-7", fromKeyward)).toMatchObject({
      code: 0,
      stdout: `${session}\n`,
    });
    expect(await python("open", "session-8", fromKeyward)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("tampered"),
    });
  });
});
