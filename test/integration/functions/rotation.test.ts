import { describe, expect, inject, it } from "vitest";
import { createOpsAppFromEnv } from "../../../functions/ops-api/wiring.ts";
import { createRotationFromEnv } from "../../../functions/rotation/wiring.ts";
import { sha256, toHex } from "../../../shared/access/operators.ts";
import { DAY, HOUR } from "../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../shared/kernel/errors.ts";
import { UpstashUsageCounter } from "../../../shared/usage/upstash-counter.ts";
import { deployedEnvironment } from "../../support/deployed.ts";
import { seededRandom } from "../../support/deterministic.ts";
import { newKeyring, withPending } from "../../support/keyrings.ts";
import { receiptOf } from "../../support/receipts.ts";
import { startOwnUpstash } from "../../support/services.ts";
import { usageCounts } from "../../support/usage.ts";

describe("the rotation function and the ops API from their environment (moto, local Upstash)", () => {
  it("on a fresh stack raises no alarm: both keyrings absent, no RotationFailed, until `init` creates one", async () => {
    const { env, received } = await deployedEnvironment();
    const lines: string[] = [];
    const handler = await createRotationFromEnv(env, (line) => lines.push(line));
    expect(await handler()).toEqual({
      signing: { status: "absent" },
      sessions: { status: "absent" },
    });
    expect(lines.map((line) => JSON.parse(line).message)).toContain(
      "no signing keyring yet: every token is refused until `keyward init` (or `keyward keys import`) creates it",
    );
    const ops = await createOpsAppFromEnv({
      ...env,
      KEYWARD_OPERATORS: JSON.stringify([
        {
          name: "ops",
          role: "admin",
          tokenSha256: toHex(sha256("an-operator-credential-0123456789")),
        },
      ]),
    });
    const init = () =>
      ops.request("/v1/keyrings/signing/init", {
        method: "POST",
        headers: { authorization: "Bearer an-operator-credential-0123456789" },
        body: JSON.stringify({ reason: "first deploy" }),
      });
    const created = await init();
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ keyring: "signing", status: "current" });
    expect((await init()).status).toBe(409);
    expect(await handler()).toMatchObject({ signing: { status: "idle" } });
    // The only event: the key init created.
    expect((await received(1)).map((event) => event["detail-type"])).toEqual(["KeyCreated"]);
  });

  it("publishes the key a 91-day-old keyring is due for, announces it, and the ops API journals it", async () => {
    const { env, received, keyrings } = await deployedEnvironment();
    const start = await newKeyring("HS256", Date.now() - 91 * DAY);
    await keyrings.save(start);
    const lines: string[] = [];
    const handler = await createRotationFromEnv(env, (line) => lines.push(line));

    expect(await handler()).toMatchObject({
      signing: { status: "applied", actions: [{ type: "publish" }] },
      sessions: { status: "absent" },
    });
    expect(await handler()).toEqual({
      signing: { status: "idle" },
      sessions: { status: "absent" },
    });
    const [event] = await received(1);
    expect(event).toMatchObject({ "detail-type": "KeyCreated", source: "keyward" });
    const stored = (await keyrings.load())!;
    expect(stored.keys.map((k) => k.status)).toEqual(["current", "pending"]);
    const written = lines.map((line) => JSON.parse(line));
    expect(written.filter((l) => l.message === "rotation tick")).toMatchObject([
      { keyring: "signing" },
      { keyring: "sessions", status: "absent" },
      { keyring: "signing" },
      { keyring: "sessions", status: "absent" },
    ]);
    // One event metric for KeyCreated, one tick metric per run (no previous key lingers).
    expect(written.filter((l) => l.Type === "KeyCreated")).toMatchObject([
      { Events: 1, Function: "rotation" },
    ]);
    expect(written.filter((l) => l.Ticks === 1)).toMatchObject([
      { PreviousKeyShareAfterMinGrace: 0 },
      { PreviousKeyShareAfterMinGrace: 0 },
    ]);
    // The local Redis keeps its default noeviction policy: nothing to alarm on, nothing unverified.
    expect(written.filter((l) => "UpstashEvicts" in l)).toMatchObject([
      { UpstashEvicts: 0, UpstashEvictionUnverified: 0, Function: "rotation" },
      { UpstashEvicts: 0, UpstashEvictionUnverified: 0, Function: "rotation" },
    ]);
    expect(written.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);

    const credential = "an-operator-credential-0123456789abcdef";
    const opsLines: string[] = [];
    const app = await createOpsAppFromEnv(
      {
        ...env,
        KEYWARD_OPERATORS: JSON.stringify([
          { name: "alice", role: "admin", tokenSha256: toHex(sha256(credential)) },
        ]),
      },
      (line) => opsLines.push(line),
    );
    const headers = { authorization: `Bearer ${credential}`, "content-type": "application/json" };
    const rotated = await app.request("/v1/keys/rotate", {
      method: "POST",
      headers,
      body: JSON.stringify({ mode: "immediate", reason: "drill" }),
    });
    expect(rotated.status).toBe(200);
    expect(opsLines.map((line) => JSON.parse(line))).toMatchObject([
      { Type: "EmergencyRotation", Function: "ops-api", Events: 1 },
    ]);
    const journal = await (await app.request("/v1/journal", { headers })).json();
    expect(journal).toMatchObject({
      rotations: [
        {
          trigger: "emergency",
          oldKid: start.keys[0]!.kid,
          selfTest: "passed",
          refusedVerifications: 0,
        },
      ],
    });
  });

  it("holds a pending key that a live authorizer's receipt in Upstash lacks, publishes PropagationIncomplete on EventBridge past the maximum wait, and activates once the receipt lists it", async () => {
    const { env, received, keyrings } = await deployedEnvironment();
    const now = Date.now();
    const published = await withPending(
      await newKeyring("HS256", now - 91 * DAY),
      "HS256",
      now - 2 * HOUR,
      seededRandom("propagation"),
    );
    await keyrings.save(published);
    const [current, pending] = published.keys.map((k) => k.kid) as [string, string];
    // What an authorizer container's usage flush writes, in the same request as its counts.
    const flush = new UpstashUsageCounter(
      { url: inject("services").upstashUrl, token: inject("services").upstashToken },
      env.KEYWARD_REDIS_PREFIX,
    );
    const holding = (...kids: string[]) =>
      receiptOf("container-1", Date.now(), {
        revision: published.revision,
        keys: kids.map((kid) => ({ kid, status: kid === current ? "current" : "pending" })),
      });
    await flush.add(usageCounts({ [current]: 5 }), Date.now(), holding(current));
    const handler = await createRotationFromEnv(env, () => undefined);

    expect(await handler()).toMatchObject({
      signing: {
        status: "idle",
        propagation: { kid: pending, live: 1, held: 0, incomplete: true },
      },
    });
    const [event] = await received(1);
    expect(event).toMatchObject({
      "detail-type": "PropagationIncomplete",
      detail: {
        kid: pending,
        live: 1,
        held: 0,
        laggards: [expect.stringMatching(/^authorizer eu-west-1 container-1 \(revision 2, /)],
      },
    });
    expect((await keyrings.load())!.keys.map((k) => k.status)).toEqual(["current", "pending"]);

    await flush.add(usageCounts({ [current]: 1 }), Date.now(), holding(current, pending));
    expect(await handler()).toMatchObject({
      signing: { status: "applied", actions: [{ type: "activate", kid: pending }] },
    });
  });

  it("publishes RevocationLagExceeded on EventBridge when a live verifier's receipt in Upstash says it applied revocations later than 1 s, and warns", async () => {
    const { env, received, keyrings } = await deployedEnvironment();
    await keyrings.save(await newKeyring("HS256", Date.now()));
    const flush = new UpstashUsageCounter(
      { url: inject("services").upstashUrl, token: inject("services").upstashToken },
      env.KEYWARD_REDIS_PREFIX,
    );
    const lag = { applied: 30, p50Ms: 400, p99Ms: 1800, maxMs: 2100 };
    await flush.add(usageCounts({}), Date.now(), receiptOf("slow-1", Date.now(), { lag }));
    const lines: string[] = [];
    await (await createRotationFromEnv(env, (line) => lines.push(line)))();
    const [event] = await received(1);
    expect(event).toMatchObject({
      "detail-type": "RevocationLagExceeded",
      detail: {
        instances: 1,
        worstP99Ms: 1800,
        late: ["authorizer eu-west-1 slow-1: p99 1800 ms, max 2100 ms over 30 applied"],
      },
    });
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ level: "warn", instances: 1 }),
    );
  });

  it("raises the UpstashEvicts metric and logs an error, every tick, when Upstash may evict keys", async () => {
    const evicting = await startOwnUpstash(["--maxmemory-policy", "volatile-lru"]);
    try {
      const { env, keyrings } = await deployedEnvironment(evicting);
      await keyrings.save(await newKeyring("HS256", Date.now()));
      const lines: string[] = [];
      const handler = await createRotationFromEnv(env, (line) => lines.push(line));

      expect(await handler()).toMatchObject({ signing: { status: "idle" } });
      const written = lines.map((line) => JSON.parse(line));
      expect(written.filter((l) => "UpstashEvicts" in l)).toMatchObject([
        { UpstashEvicts: 1, UpstashEvictionUnverified: 0 },
      ]);
      expect(written.filter((l) => l.level === "error")).toMatchObject([
        { message: expect.stringContaining("turn eviction off"), policy: "volatile-lru" },
      ]);
      expect(lines.join("\n")).not.toContain(evicting.token);
    } finally {
      await evicting.stop();
    }
  });

  it("refuses to start with every bad setting named, before touching AWS", async () => {
    const attempt = createRotationFromEnv({ KEYWARD_ROTATION_PERIOD_DAYS: "0" });
    await expect(attempt).rejects.toBeInstanceOf(ConfigInvalid);
    await expect(attempt).rejects.toMatchObject({
      problems: [
        expect.stringContaining("KEYWARD_SECRET_PREFIX"),
        expect.stringContaining("KEYWARD_EVENT_BUS"),
        expect.stringContaining("KEYWARD_UPSTASH_SECRET_ID"),
        "KEYWARD_ROTATION_PERIOD_DAYS must be a whole number from 1 to 3650",
      ],
    });
  });
});
