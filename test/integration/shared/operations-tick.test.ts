import { randomUUID } from "node:crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { MemoryAuditJournal } from "../../../shared/audit/memory.ts";
import { MemoryEventPublisher } from "../../../shared/events/events.ts";
import { DAY } from "../../../shared/kernel/clock.ts";
import { generateKey } from "../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../shared/keyring/keyring.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { activateKey, publishKey, retireKey } from "../../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { noUsage, tick } from "../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../shared/revocation/memory.ts";
import {
  countCommands,
  crashAfterCommand,
  InjectedCrash,
  secretsManagerClient,
} from "../../support/aws.ts";
import { seededRandom, T0 } from "../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../support/keyrings.ts";

const policy = resolvePolicy();
const random = seededRandom("tick-crash");
/** A day when the old key's retention has passed and the previous key's grace has run out. */
const DUE = T0 + 60 * DAY;

/** Key A retired 40 days ago, key B previous for 30 days, key C current: the tick destroys A and retires B. */
async function base(): Promise<{ keyring: Keyring; material: string }> {
  const a = await newKeyring("HS256", T0, random);
  const b = expectOk(publishKey(a, await generateKey("HS256", T0, random), T0));
  const withB = expectOk(activateKey(b, b.keys[1]!.kid, T0 + 10 * DAY));
  const retired = expectOk(retireKey(withB, a.keys[0]!.kid, T0 + 20 * DAY));
  const c = expectOk(publishKey(retired, await generateKey("HS256", T0, random), T0 + 30 * DAY));
  const keyring = expectOk(activateKey(c, c.keys[2]!.kid, T0 + 30 * DAY));
  return { keyring, material: a.keys[0]!.jwk!.k! };
}

function depsWith(client: ReturnType<typeof secretsManagerClient>, prefix: string) {
  const clock = { now: () => DUE };
  const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
  return {
    keyringName: "signing" as const,
    keyrings: new SecretsManagerKeyringStore({ client, prefix, clock }),
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(),
    events: new MemoryEventPublisher(),
    clock,
    random,
    policy,
    timing,
    usage: noUsage,
  };
}

const statuses = (keyring: Keyring | undefined) => keyring?.keys.map((k) => k.status);

describe("the rotation tick against Secrets Manager (moto)", () => {
  it("converges after a crash after any of its commands: a re-run ends where a clean run does", async () => {
    const moto = inject("services").motoUrl;
    const { keyring } = await base();
    const cleanPrefix = `keyward/${randomUUID()}`;
    await depsWith(secretsManagerClient(moto), cleanPrefix).keyrings.save(keyring);
    const counting = secretsManagerClient(moto);
    const calls = countCommands(counting);
    expect(await tick(depsWith(counting, cleanPrefix), DUE)).toMatchObject({ status: "applied" });
    const expected = statuses(
      await depsWith(secretsManagerClient(moto), cleanPrefix).keyrings.load(),
    );
    expect(expected).toEqual(["destroyed", "retired", "current"]);

    for (let crashAfter = 1; crashAfter <= calls.total(); crashAfter++) {
      const prefix = `keyward/${randomUUID()}`;
      const { keyring: start, material } = await base();
      await depsWith(secretsManagerClient(moto), prefix).keyrings.save(start);
      const crashing = secretsManagerClient(moto);
      crashAfterCommand(crashing, crashAfter);
      await expect(
        tick(depsWith(crashing, prefix), DUE),
        `crash after command ${crashAfter}`,
        // The store reports the dead connection as unavailable, the crash as its cause.
      ).rejects.toSatisfy((error) => (error as Error).cause instanceof InjectedCrash);
      const rerun = await tick(depsWith(secretsManagerClient(moto), prefix), DUE);
      expect(["applied", "idle"], `re-run after a crash after command ${crashAfter}`).toContain(
        rerun.status,
      );
      expect(statuses(await depsWith(secretsManagerClient(moto), prefix).keyrings.load())).toEqual(
        expected,
      );
      const read = await secretsManagerClient(moto)
        .send(new GetSecretValueCommand({ SecretId: `${prefix}/keys/${start.keys[0]!.kid}` }))
        .then(
          (answer) => answer.SecretString ?? "",
          (error: Error) => error.name,
        );
      expect(read).not.toContain(material);
    }
  });
});
