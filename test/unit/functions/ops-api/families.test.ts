import { describe, expect, it } from "vitest";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { MemoryRefreshStore } from "../../../../shared/refresh/memory.ts";
import { opsFixture } from "../../../support/ops.ts";

/** The ops API with refresh-token families in memory, beside its revocations, and an issuer. */
async function fixture() {
  let store: MemoryRefreshStore | undefined;
  const ops = await opsFixture({
    families: {
      families: (sub, now) => (store as MemoryRefreshStore).families(sub, now),
    },
  });
  store = new MemoryRefreshStore(ops.deps.revocations);
  const issuer = createIssuer({
    keyring: { load: () => ops.keyrings.load() },
    clock: ops.clock,
    refresh: { store, secret: new Uint8Array(32).fill(1) },
  });
  return { ...ops, issuer };
}

describe("the ops API's refresh-token families", () => {
  it("lists a subject's live families, never a token, and ends one by `family`", async () => {
    const { call, issuer, clock } = await fixture();
    const phone = await issuer.issue({ sub: "alice", refresh: true, userAgent: "Safari" });
    clock.t += 1000;
    const laptop = await issuer.issue({ sub: "alice", refresh: true, client: "web" });
    await issuer.issue({ sub: "bob", refresh: true });
    const listed = await call("GET", "/v1/families?sub=alice", undefined, "viewer");
    expect(listed).toMatchObject({
      status: 200,
      body: {
        sub: "alice",
        families: [
          { familyId: phone.familyId, userAgent: "Safari" },
          { familyId: laptop.familyId, client: "web" },
        ],
      },
    });
    expect(JSON.stringify(listed.body)).not.toContain(String(phone.refreshToken));

    const revoked = await call(
      "POST",
      "/v1/revocations",
      { family: phone.familyId, reason: "phone lost" },
      "responder",
    );
    expect(revoked).toMatchObject({ status: 201, body: { revoked: true, rule: "claim" } });
    clock.t += 1000;
    expect(await issuer.refresh(String(phone.refreshToken))).toMatchObject({
      ok: false,
      reason: "refresh_token_revoked",
    });
    expect((await issuer.refresh(String(laptop.refreshToken))).ok).toBe(true);
  });

  it("answers a bad family id or a missing subject with 400, no refresh store with 404", async () => {
    const { call } = await fixture();
    expect(
      await call("POST", "/v1/revocations", { family: "../x", reason: "r" }, "responder"),
    ).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(await call("GET", "/v1/families", undefined, "viewer")).toMatchObject({ status: 400 });
    const plain = await opsFixture();
    expect(await plain.call("GET", "/v1/families?sub=a", undefined, "viewer")).toMatchObject({
      status: 404,
    });
  });

  it("still answers its former route, /v1/sessions, marked deprecated", async () => {
    const { call, issuer } = await fixture();
    const login = await issuer.issue({ sub: "alice", refresh: true });
    const old = await call("GET", "/v1/sessions?sub=alice", undefined, "viewer");
    expect(old).toMatchObject({
      status: 200,
      body: { sub: "alice", sessions: [{ familyId: login.familyId }] },
    });
    expect(old.headers.get("deprecation")).toBe("true");
    expect(old.headers.get("link")).toContain("/v1/families");
  });
});
