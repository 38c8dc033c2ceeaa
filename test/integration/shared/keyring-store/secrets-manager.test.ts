import { randomUUID } from "node:crypto";
import {
  BatchGetSecretValueCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { describe, expect, inject, it } from "vitest";
import { HOUR } from "../../../../shared/kernel/clock.ts";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import type { Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  destroyKey,
  publishKey,
  retireKey,
} from "../../../../shared/keyring/transitions.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { KeyringConflict } from "../../../../shared/keyring-store/store.ts";
import {
  countCommands,
  crashAfterCommand,
  InjectedCrash,
  secretsManagerClient,
} from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const random = seededRandom("secrets-manager");
const client = () => secretsManagerClient(inject("services").motoUrl);
const storeOn = (c: SecretsManagerClient, prefix: string, now = () => Date.now()) =>
  new SecretsManagerKeyringStore({ client: c, prefix, clock: { now } });

/**
 * A stored keyring whose old key R is retired, and the next revision, which destroys R and
 * publishes a new key in one commit: a save that both writes and destroys material.
 */
async function scenario(prefix: string) {
  const start = await newKeyring("HS256", T0, random);
  const retiredKid = start.keys[0]!.kid;
  const published = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
  const rotated = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 1));
  const base = expectOk(retireKey(rotated, retiredKid, T0 + 2));
  const store = storeOn(client(), prefix);
  for (const keyring of [start, published, rotated, base]) await store.save(keyring);
  const destroyed = expectOk(destroyKey(base, retiredKid, T0 + 3));
  const withNew = expectOk(
    publishKey(destroyed, await generateKey("ES256", T0 + 3, random), T0 + 3),
  );
  const next: Keyring = { ...withNew, revision: base.revision + 1 };
  const material = start.keys[0]!.jwk!.k!;
  return { base, next, retiredKid, material };
}

/** Every way Secrets Manager can hand out a secret value, applied to everything under `prefix`. */
async function everythingReadable(
  c: SecretsManagerClient,
  prefix: string,
  extraNames: string[],
): Promise<string> {
  const seen: string[] = [];
  const listed = await c.send(
    new ListSecretsCommand({ Filters: [{ Key: "name", Values: [`${prefix}/`] }] }),
  );
  const names = new Set([...(listed.SecretList ?? []).map((s) => s.Name!), ...extraNames]);
  for (const name of names) {
    for (const stage of [undefined, "AWSCURRENT", "AWSPREVIOUS"]) {
      seen.push(
        await attempt(() =>
          c.send(
            new GetSecretValueCommand({
              SecretId: name,
              ...(stage ? { VersionStage: stage } : {}),
            }),
          ),
        ),
      );
    }
    const versions = await c
      .send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }))
      .catch(() => undefined);
    for (const version of versions?.Versions ?? []) {
      seen.push(
        await attempt(() =>
          c.send(new GetSecretValueCommand({ SecretId: name, VersionId: version.VersionId })),
        ),
      );
    }
    seen.push(
      await attempt(() => c.send(new BatchGetSecretValueCommand({ SecretIdList: [name] }))),
    );
  }
  seen.push(
    await attempt(() =>
      c.send(
        new BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: [`${prefix}/`] }] }),
      ),
    ),
  );
  return seen.join("\n");
}

async function attempt(read: () => Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await read());
  } catch (error) {
    return (error as Error).name;
  }
}

describe("SecretsManagerKeyringStore", () => {
  it("reads a whole keyring with one call at cold start", async () => {
    const prefix = `keyward/${randomUUID()}`;
    const { next } = await scenario(prefix);
    await storeOn(client(), prefix).save(next);
    const cold = client();
    const calls = countCommands(cold);
    expect(await storeOn(cold, prefix).load()).toEqual(next);
    expect(calls.counts).toEqual({ BatchGetSecretValueCommand: 1 });
  });

  it("converges after a crash after any step, and readers only ever see a whole keyring", async () => {
    const clean = `keyward/${randomUUID()}`;
    const cleanScenario = await scenario(clean);
    const counting = client();
    const calls = countCommands(counting);
    await storeOn(counting, clean).save(cleanScenario.next);
    const steps = calls.total();
    expect(calls.counts).toEqual({
      GetSecretValueCommand: 1,
      CreateSecretCommand: 1,
      PutSecretValueCommand: 1,
      ListSecretsCommand: 1,
      DeleteSecretCommand: 1,
    });

    for (let crashAfter = 1; crashAfter <= steps; crashAfter++) {
      const prefix = `keyward/${randomUUID()}`;
      const { base, next, retiredKid, material } = await scenario(prefix);
      const crashing = client();
      crashAfterCommand(crashing, crashAfter);
      await expect(
        storeOn(crashing, prefix).save(next),
        `crash after command ${crashAfter}`,
      ).rejects.toSatisfy((error) => (error as Error).cause instanceof InjectedCrash);

      const seen = await storeOn(client(), prefix).load();
      expect([base, next], `reader after a crash after command ${crashAfter}`).toContainEqual(seen);

      await storeOn(client(), prefix).save(next);
      expect(await storeOn(client(), prefix).load()).toEqual(next);
      expect(
        await everythingReadable(client(), prefix, [`${prefix}/keys/${retiredKid}`]),
      ).not.toContain(material);
    }
  });

  it("never shows a reader anything but the old or the new keyring while a save runs", async () => {
    const prefix = `keyward/${randomUUID()}`;
    const { base, next } = await scenario(prefix);
    const reader = storeOn(client(), prefix);
    let saving = true;
    const reads: Promise<Keyring | undefined>[] = [];
    const readLoop = (async () => {
      while (saving) {
        reads.push(reader.load());
        await reads.at(-1);
      }
    })();
    await storeOn(client(), prefix).save(next);
    saving = false;
    await readLoop;
    for (const read of await Promise.all(reads)) expect([base, next]).toContainEqual(read);
  });

  it("lets one of two writers racing from separate clients win, the other gets a conflict", async () => {
    for (let round = 0; round < 5; round++) {
      const prefix = `keyward/${randomUUID()}`;
      const start = await newKeyring("HS256", T0, random);
      await storeOn(client(), prefix).save(start);
      const a = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
      const b = expectOk(publishKey(start, await generateKey("EdDSA", T0, random), T0));
      const results = await Promise.allSettled([
        storeOn(client(), prefix).save(a),
        storeOn(client(), prefix).save(b),
      ]);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(failures).toHaveLength(1);
      expect(failures[0]!.reason).toBeInstanceOf(KeyringConflict);
      expect(failures[0]!.reason.message).toMatch(/another writer committed revision 2 first/);
      const stored = await storeOn(client(), prefix).load();
      expect(stored).toEqual(results[0]!.status === "fulfilled" ? a : b);
    }
  });

  it("destroys for real: no read API returns destroyed material afterwards", async () => {
    const prefix = `keyward/${randomUUID()}`;
    const { next, retiredKid, material } = await scenario(prefix);
    const before = await everythingReadable(client(), prefix, []);
    expect(before).toContain(material);
    await storeOn(client(), prefix).save(next);
    const after = await everythingReadable(client(), prefix, [`${prefix}/keys/${retiredKid}`]);
    expect(after).not.toContain(material);
    expect(after).toContain("ResourceNotFoundException");
  });

  it("sweeps material left by a crashed writer once it is older than an hour, not before", async () => {
    const prefix = `keyward/${randomUUID()}`;
    const start = await newKeyring("HS256", T0, random);
    await storeOn(client(), prefix).save(start);
    const abandoned = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
    const abandonedKid = abandoned.keys[1]!.kid;
    const crashing = client();
    crashAfterCommand(crashing, 2);
    await expect(storeOn(crashing, prefix).save(abandoned)).rejects.toSatisfy(
      (error) => (error as Error).cause instanceof InjectedCrash,
    );
    const other = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
    const now = Date.now();
    await storeOn(client(), prefix, () => now).save(other);
    const names = async () =>
      (
        (
          await client().send(
            new ListSecretsCommand({ Filters: [{ Key: "name", Values: [`${prefix}/keys/`] }] }),
          )
        ).SecretList ?? []
      ).map((s) => s.Name);
    expect(await names()).toContain(`${prefix}/keys/${abandonedKid}`);
    await storeOn(client(), prefix, () => now + HOUR + 60_000).save(other);
    expect(await names()).not.toContain(`${prefix}/keys/${abandonedKid}`);
  });
});

describe("a writer that does not delete material (the ops API)", () => {
  it("commits without deleting, and leaves destruction to the next writer that may", async () => {
    const prefix = `keyward/${randomUUID()}`;
    const { next, retiredKid, material } = await scenario(prefix);
    const calls = client();
    const counted = countCommands(calls);
    await new SecretsManagerKeyringStore({ client: calls, prefix, deletesMaterial: false }).save(
      next,
    );
    expect(counted.counts.DeleteSecretCommand).toBeUndefined();
    expect(counted.counts.ListSecretsCommand).toBeUndefined();
    expect(await storeOn(client(), prefix).load()).toEqual(next);
    expect(await everythingReadable(client(), prefix, [])).toContain(material);
    await storeOn(client(), prefix).save(next);
    expect(
      await everythingReadable(client(), prefix, [`${prefix}/keys/${retiredKid}`]),
    ).not.toContain(material);
  });

  it("tags every secret it creates with its owner, and destroys only material its owner tagged", async () => {
    const c = client();
    const prefix = `keyward/${randomUUID()}`;
    const { base, next, retiredKid } = await scenario(prefix);
    // The same keyring, written by a deployment that tags what it creates.
    const owned = new SecretsManagerKeyringStore({ client: c, prefix, owner: "Staging/Keyward" });
    await owned.save(next);
    const listed = async () =>
      (await c.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [`${prefix}/`] }] })))
        .SecretList ?? [];
    const newKid = next.keys.at(-1)?.kid ?? "";
    const tagOf = (name: string, entries: Awaited<ReturnType<typeof listed>>) =>
      entries.find((e) => e.Name === name)?.Tags?.find((t) => t.Key === "keyward:owner")?.Value;
    const entries = await listed();
    expect(tagOf(`${prefix}/keys/${newKid}`, entries)).toBe("Staging/Keyward");
    // The destroyed key's secret was created untagged (by the first store): not this owner's.
    expect(entries.map((e) => e.Name)).toContain(`${prefix}/keys/${retiredKid}`);
    expect(base.revision + 1).toBe(next.revision);
  });
});
