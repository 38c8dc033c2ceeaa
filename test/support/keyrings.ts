import type { RandomSource } from "../../shared/kernel/random.ts";
import { generateKey } from "../../shared/keyring/generate.ts";
import type { Algorithm } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import {
  createKeyring,
  publishKey,
  type TransitionResult,
} from "../../shared/keyring/transitions.ts";
import { MemoryKeyringStore } from "../../shared/keyring-store/memory.ts";
import type { KeyringStore } from "../../shared/keyring-store/store.ts";
import { seededRandom, T0 } from "./deterministic.ts";

/** A keyring with one current key of `alg`, made at `now`. */
export async function newKeyring(
  alg: Algorithm = "HS256",
  now = T0,
  random: RandomSource = seededRandom(`keyring-${alg}`),
): Promise<Keyring> {
  return createKeyring(await generateKey(alg, now, random), now);
}

/** A keyring with a current key and a pending one of `alg`. */
export async function withPending(
  keyring: Keyring,
  alg: Algorithm,
  now: number,
  random: RandomSource,
) {
  return expectOk(publishKey(keyring, await generateKey(alg, now, random), now));
}

/** Unwraps a transition that the test expects to succeed. */
export function expectOk(result: TransitionResult): Keyring {
  if (!result.ok) throw new Error(`transition refused: ${result.code}: ${result.message}`);
  return result.keyring;
}

/**
 * Fault injection: a memory store that, once a keyring whose current key was activated at
 * `activatedAt` is saved, hands back that key with other material, as a corrupted write would (the
 * real stores cannot be made to do this). `repair()` makes it honest again.
 */
export function corruptingStore(activatedAt: number) {
  const real = new MemoryKeyringStore();
  let corrupt = false;
  const store: KeyringStore = {
    load: async () => {
      const keyring = await real.load();
      if (!corrupt || keyring === undefined) return keyring;
      const fake = await newKeyring("HS256", T0, seededRandom("other"));
      return {
        ...keyring,
        keys: keyring.keys.map((k) =>
          k.status === "current" ? { ...k, jwk: fake.keys[0]?.jwk } : k,
        ),
      } as Keyring;
    },
    loadPrevious: () => real.loadPrevious(),
    save: async (next) => {
      await real.save(next);
      corrupt = next.keys.some((k) => k.status === "current" && k.activatedAt === activatedAt);
    },
  };
  return {
    store,
    real,
    repair: () => {
      corrupt = false;
    },
  };
}
