import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { UpstashAuditJournal } from "../../../../shared/audit/upstash.ts";
import { MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { MINUTE } from "../../../../shared/kernel/clock.ts";
import { cryptoRandom } from "../../../../shared/kernel/random.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { activateKey, publishKey } from "../../../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import type { OperationDeps } from "../../../../shared/operations/deps.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { UpstashRevocationStore } from "../../../../shared/revocation/upstash.ts";
import { secretsManagerClient } from "../../../support/aws.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const ROOT = new URL("../../../..", import.meta.url).pathname;
const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };

/** A keyring with a current key and a previous one: both leak. */
async function twoKeys(now: number): Promise<Keyring> {
  const first = await newKeyring("HS256", now - 10 * MINUTE, cryptoRandom);
  const second = await generateKey("HS256", now - 5 * MINUTE, cryptoRandom);
  return expectOk(
    activateKey(expectOk(publishKey(first, second, now - 5 * MINUTE)), second.kid, now - MINUTE),
  );
}

/** Fresh stores at moto and Upstash, and the environment of the process that uses them. */
async function deployment() {
  const { motoUrl, upstashUrl, upstashToken } = inject("services");
  const secretPrefix = `keyward/${randomUUID()}`;
  const redisPrefix = `x${randomUUID()}:`;
  const upstash = { url: upstashUrl, token: upstashToken };
  const keyrings = new SecretsManagerKeyringStore({
    client: secretsManagerClient(motoUrl),
    prefix: secretPrefix,
  });
  const initial = await twoKeys(Date.now());
  await keyrings.save(initial);
  const revocations = new UpstashRevocationStore({ ...upstash, prefix: redisPrefix, timing });
  const audit = new UpstashAuditJournal(upstash, 1000, redisPrefix);
  const env = {
    MOTO_URL: motoUrl,
    UPSTASH_URL: upstashUrl,
    UPSTASH_TOKEN: upstashToken,
    SECRET_PREFIX: secretPrefix,
    REDIS_PREFIX: redisPrefix,
  };
  return { initial, keyrings, revocations, audit, env };
}

/** Runs the emergency in its own process, killed with SIGKILL before its write `killAt` (or never). */
function runEmergency(env: Record<string, string>, killAt?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/fixtures/emergency-process.ts"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...env,
          ...(killAt === undefined ? {} : { KEYWARD_TEST_KILL_AT: String(killAt) }),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("kill before")) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL" || code === 0) resolve(out.trim());
      else reject(new Error(`the emergency process failed (${code}): ${err}`));
    });
  });
}

describe("an emergency rotation killed at any point of its run (SIGKILL, real stores)", () => {
  it("is finished by the next tick: new key current, old ones compromised, key rules and cut-off written, journaled as done", async () => {
    const clean = await deployment();
    const finished = await runEmergency(clean.env);
    const [, total, outcome] = /^done (\d+) (\S+)$/.exec(finished) ?? [];
    expect(outcome).toBe("ok");
    const writes = Number(total);
    expect(writes).toBeGreaterThanOrEqual(6);

    for (let killAt = 0; killAt < writes; killAt++) {
      const where = `killed before write ${killAt} of ${writes}`;
      const { initial, keyrings, revocations, audit, env } = await deployment();
      const said = await runEmergency(env, killAt);
      expect(said, where).toMatch(/^kill before /);
      const startedBy = Date.now();
      const intended = (await audit.unsettled()).length > 0;

      // The next tick, once the change is past the recovery grace (a minute).
      const deps: OperationDeps = {
        keyringName: "signing",
        keyrings,
        revocations,
        audit,
        events: new MemoryEventPublisher(),
        clock: { now: () => Date.now() + 2 * MINUTE },
        random: cryptoRandom,
        policy: resolvePolicy(),
        timing,
      };
      await tick({ ...deps, usage: noUsage }, deps.clock.now());

      const after = (await keyrings.load()) as Keyring;
      const oldKids = initial.keys.map((k) => k.kid);
      if (killAt === 0) {
        // Killed before its intent: nothing began, nothing to finish; the operator had no answer.
        expect(intended, where).toBe(false);
        expect(
          after.keys.map((k) => k.kid),
          where,
        ).toEqual(oldKids);
        continue;
      }
      expect(await audit.unsettled(), where).toEqual([]);
      const current = after.keys.filter((k) => k.status === "current");
      expect(current, where).toHaveLength(1);
      expect(oldKids, where).not.toContain(current[0]?.kid);
      for (const kid of oldKids) {
        expect(
          after.keys.find((k) => k.kid === kid),
          where,
        ).toMatchObject({
          status: "retired",
          compromised: true,
        });
        expect(
          await revocations.check({ kid, claims: {}, issuedAtMs: Number.POSITIVE_INFINITY }),
          where,
        ).toMatchObject({ revoked: true, rule: "kid" });
      }
      // Every token issued before the emergency is refused; a login with the new key, after the
      // tick (on its clock), is not.
      expect(
        await revocations.check({ sub: "someone", claims: {}, issuedAtMs: startedBy - 60_000 }),
        where,
      ).toMatchObject({ revoked: true, rule: "all" });
      expect(
        await revocations.check({
          kid: current[0]?.kid ?? "",
          claims: {},
          issuedAtMs: deps.clock.now() + 1,
        }),
        where,
      ).toEqual({ revoked: false });
      const entries = (await audit.read({ limit: 50 })).entries.filter(
        (e) => e.action === "rotate.immediate",
      );
      expect(
        entries.map((e) => e.result),
        where,
      ).toEqual(["ok"]);
    }
  }, 300_000);
});
