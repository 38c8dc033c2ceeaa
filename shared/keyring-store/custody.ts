import type { RandomSource } from "../kernel/random.ts";
import { generateKey } from "../keyring/generate.ts";
import type { Algorithm, KeyRecord } from "../keyring/key.ts";
import type { Keyring } from "../keyring/keyring.ts";

/**
 * What a holder of private keys did to bring a key in line with its status: `disable` a retired
 * key, `enable` one back in use (a rollback or reinstate), `schedule-deletion` of a destroyed one,
 * whose material is gone at `goneAt` (KMS cannot destroy at once).
 */
export interface CustodyChange {
  readonly kid: string;
  readonly action: "disable" | "enable" | "schedule-deletion";
  readonly goneAt?: number;
}

/**
 * Where a keyring's new keys are made and their private halves kept: with the keyring, in its
 * store (`localCustody`), or in AWS KMS, where they never leave (`kmsCustody`). Operations make
 * keys and follow the lifecycle through this, so the two differ in one place.
 */
export interface KeyCustody {
  /** A new `pending` key of `alg`. */
  create(alg: Algorithm, now: number): Promise<KeyRecord>;
  /**
   * Brings the holder in line with the keyring as committed; answers what it changed. Safe to
   * repeat: the rotation function runs it on every tick, which repairs a crash after a commit.
   */
  reconcile(keyring: Keyring, now: number): Promise<readonly CustodyChange[]>;
  /** Gives up a key `create` made for a change that was never committed (best effort). */
  abandon(key: KeyRecord): Promise<void>;
  /**
   * What is wrong with a key as its holder has it, in words, or undefined: the self-test's check
   * of a key it cannot sign with itself.
   */
  check(key: KeyRecord): Promise<string | undefined>;
}

/** Keys made here (WebCrypto, `random`) and kept with the keyring: nothing else to follow. */
export function localCustody(random: RandomSource): KeyCustody {
  return {
    create: (alg, now) => generateKey(alg, now, random),
    reconcile: async () => [],
    abandon: async () => {},
    check: async () => undefined,
  };
}
