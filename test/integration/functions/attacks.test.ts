import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Keyring } from "../../../shared/keyring/keyring.ts";
import { createSigner } from "../../../shared/tokens/signer.ts";
import { newKeyring } from "../../support/keyrings.ts";
import { PASTED_TOKEN } from "../../support/leaks.ts";
import { CREDENTIALS, opsOnRealStores } from "../../support/ops.ts";

/**
 * The security run's cases against the ops API on real stores (moto, Redis behind the Upstash REST
 * server), kept so what held stays held and what was fixed stays fixed.
 */
let api: Awaited<ReturnType<typeof opsOnRealStores>>;
let keyring: Keyring;

beforeAll(async () => {
  const { motoUrl, redisUrl } = inject("services");
  api = await opsOnRealStores(motoUrl, redisUrl);
  keyring = await newKeyring("ES256", Date.now());
  await api.keyrings.save(keyring);
});
afterAll(() => api.stop());

const reason = "security run";

describe("attacks on the ops API", () => {
  it("refuses every way of sending no, a wrong or a misplaced credential with 401 and WWW-Authenticate", async () => {
    const cases: [string, RequestInit][] = [
      ["/v1/keys", {}],
      ["/v1/keys", { headers: { authorization: "Bearer wrong-credential-0123456789abcdef" } }],
      ["/v1/keys", { headers: { authorization: `Basic ${CREDENTIALS.admin}` } }],
      ["/v1/keys", { headers: { authorization: `Bearer ${CREDENTIALS.admin}x` } }],
      ["/v1/keys", { headers: { authorization: `Bearer ${CREDENTIALS.admin} extra` } }],
      ["/v1/keys", { headers: { "x-keyward-credential": "" } }],
      [`/v1/keys?credential=${CREDENTIALS.admin}`, {}],
    ];
    for (const [path, init] of cases) {
      const answer = await api.request(path, init);
      expect({ init, status: answer.status }).toEqual({ init, status: 401 });
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer realm="keyward"/);
      expect(answer.body).toMatchObject({ error: { code: "unauthorized" } });
    }
  });

  it("holds every role to its routes (403)", async () => {
    const cases: [string, string, unknown, "viewer" | "responder"][] = [
      ["POST", "/v1/revocations", { all: true, reason }, "viewer"],
      ["POST", "/v1/revocations/batch", { items: [{ all: true }], reason }, "viewer"],
      ["POST", "/v1/keys/rotate", { mode: "immediate", reason }, "responder"],
      ["POST", "/v1/keys/rollback", { reason }, "responder"],
      [
        "POST",
        "/v1/keys/import",
        { secret: "x".repeat(40), tokenLifetimeSeconds: 60, reason },
        "responder",
      ],
    ];
    for (const [method, path, body, role] of cases) {
      const answer = await api.call(method, path, body, role);
      expect({ path, role, status: answer.status }).toEqual({ path, role, status: 403 });
    }
  });

  it("answers bad input with a JSON 4xx that names the problem, never a stack trace", async () => {
    const raw = (body: string, path = "/v1/revocations") =>
      api.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${CREDENTIALS.admin}` },
        body,
      });
    const nested = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`;
    const cases: [string, Promise<{ status: number; text: string }>, number][] = [
      ["invalid JSON", raw("{"), 400],
      ["a JSON array", raw("[]"), 400],
      ["deep nesting", raw(nested), 400],
      ["an unknown field", api.call("POST", "/v1/revocations", { sub: "a", reason, x: 1 }), 400],
      ["no reason", api.call("POST", "/v1/revocations", { sub: "a" }), 400],
      ["two targets", api.call("POST", "/v1/revocations", { sub: "a", all: true, reason }), 400],
      ["exp 1e21", api.call("POST", "/v1/revocations", { jti: "j", exp: 1e21, reason }), 400],
      [
        "exp not a number",
        api.call("POST", "/v1/revocations", { jti: "j", exp: "soon", reason }),
        400,
      ],
      ["a kid with a slash", api.call("POST", "/v1/keys/..%2F..%2Fx/reinstate", { reason }), 400],
      ["a huge body", raw(JSON.stringify({ sub: "a", reason: "r".repeat(100_000) })), 413],
      [
        "a reason too long",
        api.call("POST", "/v1/revocations", { sub: "a", reason: "r".repeat(501) }),
        400,
      ],
      ["a batch of none", api.call("POST", "/v1/revocations/batch", { items: [], reason }), 413],
      ["a page of 0", api.call("GET", "/v1/audit?limit=0"), 400],
      ["an unknown route", api.call("GET", "/v1/nothing"), 404],
    ];
    for (const [name, answer, status] of cases) {
      const { status: got, text } = await answer;
      expect({ name, status: got }).toEqual({ name, status });
      expect(JSON.parse(text)).toMatchObject({
        error: { code: expect.any(String), message: expect.any(String) },
      });
      expect(text).not.toMatch(/at .*\.ts:\d+|node_modules|Error:/);
    }
  });

  it("journals and publishes every change it makes, with a pasted token in no answer, entry or event", async () => {
    const token = await createSigner().sign(keyring, { sub: "victim" }, Date.now());
    const before = (await api.audit.read({ limit: 500 })).entries.length;
    const changes = [
      await api.call("POST", "/v1/revocations", { token, reason: `leaked: ${token}` }),
      await api.call("POST", "/v1/revocations", { sub: token, reason }),
      await api.call("POST", "/v1/revocations", { claim: "role", value: token, reason }),
      await api.call("POST", "/v1/revocations", { all: true, reason: "eyJa.eyJb.c" }),
    ];
    for (const answer of changes) {
      expect(answer.status).toBe(201);
      expect(answer.text).not.toContain(token);
    }
    const entries = (await api.audit.read({ limit: 500 })).entries;
    expect(entries.length - before).toBe(changes.length);
    expect(await api.audit.unsettled()).toEqual([]);
    expect(JSON.stringify([entries, api.events.published])).not.toMatch(PASTED_TOKEN);
  });

  it("refuses a token it did not sign, even one claiming a kid of the keyring, as a revocation target (422)", async () => {
    const kid = keyring.keys[0]?.kid ?? "";
    const forged = await new SignJWT({
      sub: "x",
      jti: "j",
      iat: 1,
      exp: Math.floor(Date.now() / 1000) + 60,
    })
      .setProtectedHeader({ alg: "HS256", kid })
      .sign(new TextEncoder().encode("not the key, but 32 bytes or more!"));
    const answer = await api.call("POST", "/v1/revocations", { token: forged, reason });
    expect(answer).toMatchObject({ status: 422, body: { error: { code: "not_revocable" } } });
    expect(answer.text).not.toContain(forged);
  });
});
