import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { opsFixture } from "../../../support/ops.ts";

const reason = "adopt keyward for sessions";

describe("the ops API: the sessions keyring under /v1/keyrings/sessions", () => {
  it("imports SESSION_ENCRYPTION_KEY, lists it apart from the signing keys, and rotates it gracefully and in an emergency", async () => {
    const { call, keyring, events } = await opsFixture();
    const missing = await call("GET", "/v1/keyrings/sessions/keys");
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "no_keyring" } } });
    expect(missing.body.error?.message).toContain("--keyring sessions");

    const secret = randomBytes(32).toString("base64");
    const imported = await call("POST", "/v1/keyrings/sessions/keys/import", { secret, reason });
    expect(imported).toMatchObject({
      status: 201,
      body: { status: "current", sessionLifetimeSeconds: 7 * 86_400 },
    });
    expect(JSON.stringify(imported.body)).not.toContain(secret);
    const kid = imported.body.kid as string;

    const listed = await call("GET", "/v1/keyrings/sessions/keys", undefined, "viewer");
    expect(listed.body.keys).toEqual([
      expect.objectContaining({ kid, alg: "A256GCM", status: "current", legacy: true }),
    ]);
    // The signing keyring is unchanged, at /v1/keys and at /v1/keyrings/signing/keys alike.
    for (const path of ["/v1/keys", "/v1/keyrings/signing/keys"]) {
      expect((await call("GET", path)).body.keys).toEqual([
        expect.objectContaining({ kid: keyring!.keys[0]!.kid, alg: "ES256" }),
      ]);
    }

    const graceful = await call("POST", "/v1/keyrings/sessions/keys/rotate", { reason });
    expect(graceful).toMatchObject({ status: 202, body: { mode: "graceful" } });
    const emergency = await call("POST", "/v1/keyrings/sessions/keys/rotate", {
      mode: "immediate",
      reason,
    });
    expect(emergency).toMatchObject({ status: 200, body: { mode: "immediate" } });
    expect(events.published.map((e) => [e.type, e.detail.keyring])).toEqual([
      ["KeyImported", "sessions"],
      ["KeyCreated", "sessions"],
      ["EmergencyRotation", "sessions"],
    ]);
    const journal = await call("GET", "/v1/keyrings/sessions/journal", undefined, "viewer");
    expect(journal.body.rotations).toMatchObject([
      { trigger: "import", newKid: kid },
      { trigger: "emergency", oldKid: kid, selfTest: "passed" },
    ]);
    expect((await call("GET", "/v1/journal")).body.rotations).toEqual([]);
  });

  it("answers the runbook's mistakes with a JSON error: a key of the wrong size, a field it does not take", async () => {
    const { call, sessionKeyrings } = await opsFixture();
    const short = await call("POST", "/v1/keyrings/sessions/keys/import", {
      secret: randomBytes(16).toString("base64"),
      reason,
    });
    expect(short).toMatchObject({
      status: 422,
      body: { error: { code: "secret_invalid", message: "a session key must decode to 32 bytes" } },
    });
    const foreign = await call("POST", "/v1/keyrings/sessions/keys/import", {
      secret: randomBytes(32).toString("base64"),
      tokenLifetimeSeconds: 60,
      reason,
    });
    expect(foreign).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(await sessionKeyrings.load()).toBeUndefined();
  });

  it("names the keyrings it serves when asked for another, and keeps admin routes for admins", async () => {
    const { call } = await opsFixture();
    const unknown = await call("GET", "/v1/keyrings/billing/keys");
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "unknown_keyring" } } });
    expect(unknown.body.error?.message).toContain("signing, sessions");
    const viewer = await call("POST", "/v1/keyrings/sessions/keys/rotate", { reason }, "viewer");
    expect(viewer.status).toBe(403);
    expect((await call("GET", "/v1/keyrings/sessions/nothing")).body.error?.code).toBe("not_found");
  });
});
