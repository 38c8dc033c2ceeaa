import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIssuer } from "../../../../shared/issuing/issuer.ts";
import { UpstashReceipts } from "../../../../shared/receipts/upstash.ts";
import { UpstashRefreshStore } from "../../../../shared/refresh/upstash.ts";
import { RevocationMirror } from "../../../../shared/revocation/mirror.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { UpstashRevocationCheck } from "../../../../shared/revocation/upstash-check.ts";
import { UpstashRevocationLog } from "../../../../shared/revocation/upstash-log.ts";
import { aclSetUser, UPSTASH_ROLES, type UpstashRole } from "../../../../shared/upstash/acl.ts";
import { UpstashRest } from "../../../../shared/upstash/rest.ts";
import { UpstashUsageCounter } from "../../../../shared/usage/upstash-counter.ts";
import { newKeyring } from "../../../support/keyrings.ts";
import { receiptOf } from "../../../support/receipts.ts";
import { startRedis, startUpstashRest } from "../../../support/services.ts";
import { usageCounts } from "../../../support/usage.ts";

const PREFIX = "kw:";
const timing = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 };
let stop: () => Promise<void>;
let url: string;
const tokens = {} as Record<UpstashRole, string>;

/**
 * A Redis with keyward's three ACL users (created with the rules the docs print), behind the
 * Upstash REST server with one token per user, as Upstash's ACL REST tokens are: every request
 * below goes through the REST layer as that user, and valkey enforces its ACL.
 */
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "keyward-acl-"));
  const redis = await startRedis(dir);
  const admin = await startUpstashRest(redis.url);
  const port = new URL(redis.url).port;
  const users: Record<string, string> = {};
  for (const role of UPSTASH_ROLES) {
    const password = randomBytes(16).toString("hex");
    const rest = new UpstashRest({ url: admin.url, token: admin.token }, 5_000);
    await rest.command(aclSetUser(role, PREFIX, `keyward-${role}`, password));
    tokens[role] = randomBytes(24).toString("base64url");
    users[tokens[role]] = `redis://keyward-${role}:${password}@127.0.0.1:${port}`;
  }
  const scoped = await startUpstashRest(redis.url, users);
  url = scoped.url;
  stop = async () => {
    await Promise.all([scoped.process.stop(), admin.process.stop()]);
    await redis.process.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}, 60_000);
afterAll(() => stop?.());

const as = (role: UpstashRole) => ({ url, token: tokens[role] });

/** Redis's own answer to `command` sent as `role`: its error text, or undefined when it ran. */
async function refusal(role: UpstashRole, command: string[]): Promise<string | undefined> {
  const answer = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${tokens[role]}` },
    body: JSON.stringify(command),
  });
  const body = (await answer.json()) as { error?: string };
  return body.error;
}
const facts = (sub: string) => ({ sub, claims: {}, issuedAtMs: Date.now() - 60_000 });

describe("keyward's Upstash credentials, enforced by Redis ACLs (valkey, through the REST layer)", () => {
  it("the writer's credential writes and reads every rule", async () => {
    const writer = new UpstashRevocationStore({ ...as("writer"), prefix: PREFIX, timing });
    expect(await writer.revoke([{ kind: "subject", sub: "alice" }], Date.now())).toEqual([
      { ok: true, noop: false, logged: expect.stringMatching(/^\d+-\d+$/) },
    ]);
    expect(await writer.check(facts("alice"))).toMatchObject({ revoked: true });
    const rest = new UpstashRest(as("writer"), 2_000);
    expect(await rest.command(["CONFIG", "GET", "maxmemory-policy"])).toHaveLength(2);
  });

  it("a reader's credential reads rules and the change log, counts usage and writes its receipt, and can write or delete no rule", async () => {
    const writer = new UpstashRevocationStore({ ...as("writer"), prefix: PREFIX, timing });
    await writer.revoke([{ kind: "subject", sub: "bob" }], Date.now());
    const check = new UpstashRevocationCheck({
      ...as("reader"),
      prefix: PREFIX,
      timing,
      budgetMs: 2_000,
    });
    expect(await check.check(facts("bob"))).toMatchObject({ revoked: true });
    const clock = { t: Date.now(), now: () => clock.t };
    const mirror = new RevocationMirror({
      log: new UpstashRevocationLog(as("reader"), PREFIX, 500),
      fallback: check,
      clock,
      freshnessMs: 500,
      budgetMs: 500,
    });
    await mirror.warmUp();
    await writer.revoke([{ kind: "subject", sub: "carol" }], Date.now());
    clock.t += 500;
    expect(await mirror.check(facts("carol"))).toMatchObject({ revoked: true });
    expect(mirror.stats()).toMatchObject({ snapshots: 1, refreshes: 1, gaps: 0 });
    await new UpstashUsageCounter(as("reader"), PREFIX).add(
      usageCounts({ k1: 3 }),
      Date.now(),
      receiptOf("reader-instance", Date.now()),
    );
    expect(await new UpstashReceipts(as("writer"), PREFIX).live()).toEqual([
      receiptOf("reader-instance", expect.any(Number)),
    ]);

    const reader = new UpstashRevocationStore({ ...as("reader"), prefix: PREFIX, timing });
    const [written] = await reader.revoke([{ kind: "all" }], Date.now());
    expect(written).toMatchObject({ ok: false });
    for (const command of [
      ["DEL", `${PREFIX}rv:s:bob`],
      ["SET", `${PREFIX}rv:all`, "1"],
      ["XADD", `${PREFIX}rv:log`, "*", "k", `${PREFIX}rv:s:bob`, "v", "1", "x", "1"],
      ["XTRIM", `${PREFIX}rv:log`, "MAXLEN", "0"],
      ["ZADD", `${PREFIX}rv:s:bob`, "1", "x"],
      ["EVAL", "return redis.call('DEL', KEYS[1])", "1", `${PREFIX}rv:s:bob`],
      ["FLUSHALL"],
    ])
      expect(await refusal("reader", command), command[0]).toMatch(/NOPERM/);
    expect(await check.check(facts("bob"))).toMatchObject({ revoked: true });
  });

  it("the issuer's credential keeps refresh families and revokes a reused family, and writes no other rule", async () => {
    const issuerStore = new UpstashRefreshStore({ ...as("issuer"), prefix: PREFIX });
    const issuer = createIssuer({
      keyring: { load: async () => newKeyring("HS256") },
      refresh: { store: issuerStore, secret: randomBytes(32), graceSeconds: 0 },
    });
    const login = await issuer.issue({ sub: "dave", refresh: true });
    const next = await issuer.refresh(login.refreshToken as string);
    expect(next.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await issuer.refresh(login.refreshToken as string)).toMatchObject({
      reason: "refresh_token_reused",
    });
    const check = new UpstashRevocationCheck({
      ...as("reader"),
      prefix: PREFIX,
      timing,
      budgetMs: 2_000,
    });
    expect(
      await check.check({ claims: { fid: login.familyId }, issuedAtMs: Date.now() - 1000 }),
    ).toMatchObject({ revoked: true, rule: "claim" });

    const asIssuer = new UpstashRevocationStore({ ...as("issuer"), prefix: PREFIX, timing });
    const [subject] = await asIssuer.revoke([{ kind: "subject", sub: "erin" }], Date.now());
    expect(subject).toMatchObject({ ok: false });
    for (const command of [
      ["DEL", `${PREFIX}rv:s:bob`],
      ["SET", `${PREFIX}rv:all`, "1"],
      ["EVAL", "return redis.call('DEL', KEYS[1])", "1", `${PREFIX}rv:s:bob`],
      ["FLUSHDB"],
    ])
      expect(await refusal("issuer", command), command[0]).toMatch(/NOPERM/);
  });
});
