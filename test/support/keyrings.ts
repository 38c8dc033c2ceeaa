import { generateKey } from "../../shared/keyring/generate.ts";
import type { Algorithm } from "../../shared/keyring/key.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import {
  createKeyring,
  publishKey,
  type TransitionResult,
} from "../../shared/keyring/transitions.ts";
import type { RandomSource } from "../../shared/random.ts";
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
