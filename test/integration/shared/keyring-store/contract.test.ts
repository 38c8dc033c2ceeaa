import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { generateKey } from "../../../../shared/keyring/generate.ts";
import { findKey, type Keyring } from "../../../../shared/keyring/keyring.ts";
import {
  activateKey,
  destroyKey,
  publishKey,
  retireKey,
} from "../../../../shared/keyring/transitions.ts";
import { FileKeyringStore } from "../../../../shared/keyring-store/file.ts";
import { MemoryKeyringStore } from "../../../../shared/keyring-store/memory.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import {
  KeyringConflict,
  type KeyringStore,
  restorePrevious,
} from "../../../../shared/keyring-store/store.ts";
import { secretsManagerClient } from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { expectOk, newKeyring } from "../../../support/keyrings.ts";

const random = seededRandom("store-contract");
const folder = mkdtempSync(join(tmpdir(), "keyward-store-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const adapters: [string, () => KeyringStore][] = [
  ["memory", () => new MemoryKeyringStore()],
  ["file", () => new FileKeyringStore(join(folder, randomUUID(), "keyring.json"))],
  [
    "Secrets Manager (moto)",
    () =>
      new SecretsManagerKeyringStore({
        client: secretsManagerClient(inject("services").motoUrl),
        prefix: `keyward/${randomUUID()}`,
      }),
  ],
];

/** A keyring through one graceful rotation and the end of the old key's life. */
async function history(start: Keyring) {
  const oldKid = start.keys[0]!.kid;
  const published = expectOk(publishKey(start, await generateKey("ES256", T0 + 1, random), T0 + 1));
  const rotated = expectOk(activateKey(published, published.keys[1]!.kid, T0 + 2));
  const retired = expectOk(retireKey(rotated, oldKid, T0 + 3));
  const destroyed = expectOk(destroyKey(retired, oldKid, T0 + 4));
  return { oldKid, steps: [published, rotated, retired, destroyed] };
}

describe.each(adapters)("keyring store contract: %s", (_name, makeStore) => {
  it("loads nothing before the first save, then exactly what was saved", async () => {
    const store = makeStore();
    expect(await store.load()).toBeUndefined();
    const keyring = await newKeyring("EdDSA");
    await store.save(keyring);
    expect(await store.load()).toEqual(keyring);
  });

  it("commits each revision in turn, and saving the stored keyring again is a no-op", async () => {
    const store = makeStore();
    const start = await newKeyring();
    await store.save(start);
    const { steps } = await history(start);
    for (const step of steps) {
      await store.save(step);
      await store.save(step);
      expect(await store.load()).toEqual(step);
    }
  });

  it("refuses a save made from a stale revision, and a second first save", async () => {
    const store = makeStore();
    const start = await newKeyring();
    await store.save(start);
    const { steps } = await history(start);
    await store.save(steps[0]!);
    const stale = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
    await expect(store.save(stale)).rejects.toThrow(KeyringConflict);
    await expect(store.save(await newKeyring("ES256"))).rejects.toThrow(KeyringConflict);
    expect(await store.load()).toEqual(steps[0]);
  });

  it("lets exactly one of two racing writers win", async () => {
    const store = makeStore();
    const start = await newKeyring();
    await store.save(start);
    const a = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
    const b = expectOk(publishKey(start, await generateKey("HS256", T0, random), T0));
    const results = await Promise.allSettled([store.save(a), store.save(b)]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(KeyringConflict);
    expect([a, b]).toContainEqual(await store.load());
  });

  it("keeps the previous state as a recovery floor, and restores it as a new revision", async () => {
    const store = makeStore();
    const start = await newKeyring();
    await store.save(start);
    const { steps } = await history(start);
    await store.save(steps[0]!);
    await store.save(steps[1]!);
    expect(await store.loadPrevious()).toEqual(steps[0]);
    const restored = await restorePrevious(store, T0 + 10);
    expect(restored.revision).toBe(steps[1]!.revision + 1);
    expect(restored.keys).toEqual(steps[0]!.keys);
    expect(await store.load()).toEqual(restored);
  });

  it("never brings destroyed material back, not even through the recovery floor", async () => {
    const store = makeStore();
    const start = await newKeyring();
    await store.save(start);
    const { steps, oldKid } = await history(start);
    for (const step of steps) await store.save(step);
    const previous = await store.loadPrevious();
    expect(findKey(previous!, oldKid)).toMatchObject({ status: "destroyed" });
    expect(findKey(previous!, oldKid)?.jwk).toBeUndefined();
    const restored = await restorePrevious(store, T0 + 10);
    expect(findKey(restored, oldKid)).toMatchObject({ status: "destroyed" });
    expect(JSON.stringify(await store.load())).not.toContain(start.keys[0]!.jwk!.k);
  });
});
