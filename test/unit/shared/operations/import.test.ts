import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { importSecret } from "../../../../shared/operations/import.ts";
import { T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { journalLines, memoryOperations } from "../../../support/operation-deps.ts";

const request = { actor: "alice", reason: "adopting keyward" } as const;
const SECRET = "a-legacy-JWT_SECRET-of-more-than-32-bytes";

describe("importSecret", () => {
  it("makes a legacy secret the current key, replacing the generated one", async () => {
    const { deps, keyrings, audit, events } = await memoryOperations({
      keyring: await newKeyring("HS256"),
    });
    const result = await importSecret(deps, {
      ...request,
      secret: SECRET,
      encoding: "utf8",
      tokenLifetimeSeconds: 3600,
    });
    expect(result).toMatchObject({
      ok: true,
      value: { status: "current", verifyOnly: false, lifetimeSeconds: 3600 },
    });
    const kid = result.ok ? result.value.kid : "";
    expect((await keyrings.load())?.keys.find((k) => k.kid === kid)).toMatchObject({
      legacy: true,
      status: "current",
    });
    expect(await journalLines(audit)).toEqual(["keys.import ok"]);
    expect(events.published).toMatchObject([{ type: "KeyImported", detail: { kid } }]);
    // The secret itself is in neither.
    expect(JSON.stringify([await audit.read(), events.published])).not.toContain(SECRET);
  });

  it("keeps a secret too short to sign with as a verify-only previous key, and says so", async () => {
    const { deps } = await memoryOperations();
    expect(
      await importSecret(deps, {
        ...request,
        secret: "short-secret",
        encoding: "utf8",
        tokenLifetimeSeconds: 3600,
      }),
    ).toMatchObject({
      ok: true,
      value: { status: "previous", verifyOnly: true, warning: expect.stringContaining("32 bytes") },
    });
  });

  it("reads the legacy tokens' lifetime from one of them, and refuses a sample the secret did not sign", async () => {
    const { deps, audit } = await memoryOperations();
    const now = Math.floor(T0 / 1000);
    const sample = await new SignJWT({ sub: "u", iat: now, exp: now + 7200 })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(SECRET));
    expect(
      await importSecret(deps, {
        ...request,
        secret: SECRET,
        encoding: "utf8",
        sampleToken: sample,
      }),
    ).toMatchObject({ ok: true, value: { lifetimeSeconds: 7200 } });
    expect(
      await importSecret(deps, {
        ...request,
        secret: `${SECRET}-other`,
        encoding: "utf8",
        sampleToken: sample,
      }),
    ).toMatchObject({ ok: false, code: "sample_invalid" });
    expect((await journalLines(audit)).at(-1)).toBe("keys.import refused sample_invalid");
  });

  it("refuses tokens that outlive the maximum token lifetime, naming the setting", async () => {
    const { deps, keyrings } = await memoryOperations();
    expect(
      await importSecret(deps, {
        ...request,
        secret: SECRET,
        encoding: "utf8",
        tokenLifetimeSeconds: 2 * 86_400,
      }),
    ).toMatchObject({
      ok: false,
      code: "lifetime_too_long",
      message: expect.stringContaining("KEYWARD_MAX_TOKEN_LIFETIME_SECONDS"),
    });
    expect(await keyrings.load()).toBeUndefined();
  });

  it("on the sessions keyring, takes a SESSION_ENCRYPTION_KEY with the maximum session lifetime by default", async () => {
    const { deps } = await memoryOperations({
      keyringName: "sessions",
      policy: { algorithm: "A256GCM", maxTokenLifetimeMs: 7 * DAY },
    });
    expect(
      await importSecret(deps, {
        ...request,
        secret: Buffer.alloc(32, 7).toString("base64"),
        encoding: "base64",
      }),
    ).toMatchObject({ ok: true, value: { status: "current", lifetimeSeconds: 7 * 86_400 } });
  });
});
