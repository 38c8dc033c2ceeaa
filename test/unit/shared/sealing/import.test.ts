import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseKeyring, serializeKeyring } from "../../../../shared/keyring/serialize.ts";
import { createKeyring } from "../../../../shared/keyring/transitions.ts";
import { sessionKeyFromEnv } from "../../../../shared/sealing/import.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

const NAME = "SESSION_ENCRYPTION_KEY";
const random = seededRandom("session-import");

describe("sessionKeyFromEnv (the runbook's SESSION_ENCRYPTION_KEY)", () => {
  it("takes 32 bytes of base64 (openssl rand -base64 32) as a legacy A256GCM key a keyring accepts", () => {
    const value = randomBytes(32).toString("base64");
    const imported = sessionKeyFromEnv(value, NAME, T0, random);
    if (!imported.ok) throw new Error(imported.message);
    expect(imported.key).toMatchObject({ alg: "A256GCM", legacy: true, status: "pending" });
    expect(Buffer.from(String(imported.key.jwk?.k), "base64url").toString("base64")).toBe(value);
    const keyring = createKeyring(imported.key, T0);
    expect(parseKeyring(serializeKeyring(keyring))).toEqual(keyring);
  });

  it("refuses with the runbook's own messages, never quoting the value", () => {
    expect(sessionKeyFromEnv(undefined, NAME, T0, random)).toEqual({
      ok: false,
      message: "SESSION_ENCRYPTION_KEY environment variable not set",
    });
    expect(sessionKeyFromEnv("  ", NAME, T0, random)).toMatchObject({ ok: false });
    for (const wrong of [
      randomBytes(16).toString("base64"),
      randomBytes(33).toString("base64"),
      "not base64 at all!",
    ]) {
      const refused = sessionKeyFromEnv(wrong, NAME, T0, random);
      expect(refused).toEqual({
        ok: false,
        message: "SESSION_ENCRYPTION_KEY must decode to 32 bytes",
      });
    }
  });
});
