import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { importLegacySecret } from "../../../../shared/keyring/import-legacy.ts";
import { parseKeyring, serializeKeyring } from "../../../../shared/keyring/serialize.ts";
import { sessionKeyFromEnv } from "../../../../shared/sealing/import.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

const NAME = "SESSION_ENCRYPTION_KEY";
const random = seededRandom("session-import");

describe("sessionKeyFromEnv (the runbook's SESSION_ENCRYPTION_KEY)", () => {
  it("takes 32 bytes of base64 (openssl rand -base64 32) as a legacy A256GCM key a keyring accepts", () => {
    const value = randomBytes(32).toString("base64");
    const read = sessionKeyFromEnv(`${value}\n`, NAME);
    if (!read.ok) throw new Error(read.message);
    const imported = importLegacySecret(
      undefined,
      read.secret,
      "base64",
      T0,
      random,
      undefined,
      "A256GCM",
    );
    if (!imported.ok) throw new Error(imported.message);
    const [key] = imported.keyring.keys;
    expect(key).toMatchObject({ alg: "A256GCM", legacy: true, status: "current" });
    expect(Buffer.from(String(key?.jwk?.k), "base64url").toString("base64")).toBe(value);
    expect(parseKeyring(serializeKeyring(imported.keyring))).toEqual(imported.keyring);
  });

  it("refuses with the runbook's own messages, never quoting the value", () => {
    expect(sessionKeyFromEnv(undefined, NAME)).toEqual({
      ok: false,
      message: "SESSION_ENCRYPTION_KEY environment variable not set",
    });
    expect(sessionKeyFromEnv("  ", NAME)).toMatchObject({ ok: false });
    for (const wrong of [
      randomBytes(16).toString("base64"),
      randomBytes(33).toString("base64"),
      "not base64 at all!",
    ]) {
      const refused = sessionKeyFromEnv(wrong, NAME);
      expect(refused).toEqual({
        ok: false,
        message: "SESSION_ENCRYPTION_KEY must decode to 32 bytes",
      });
    }
  });
});
