import { EnvReader } from "../../shared/config/env.ts";
import { readVerificationSettings } from "../../shared/config/verifier-config.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import type { Keyring } from "../../shared/keyring/keyring.ts";
import type { RevocationLog } from "../../shared/revocation/change-log.ts";
import {
  type VerificationRuntime,
  verificationFromConfig,
} from "../../shared/verification/assembly.ts";

/**
 * A verifier's own assembly with its default settings, but for its stores: the keyring already
 * loaded, the rules mirrored from a change log with none (so the mirror is fresh and decides from
 * memory). What the CPU benchmarks put in front of their requests, in Node and inside workerd.
 */
export async function warmVerification(keyring: Keyring, runtime: VerificationRuntime) {
  const settings = readVerificationSettings(new EnvReader({}));
  const log: RevocationLog = {
    prefix: settings.redisPrefix,
    since: async (position) => ({ position, head: position.seq, entries: [] }),
    snapshot: async () => ({ position: { id: "1-0", seq: 1 }, rules: [] }),
  };
  const verification = verificationFromConfig(
    settings,
    async () => keyring,
    { lookups: { check: async () => ({ revoked: false }) }, log },
    systemClock,
    runtime,
  );
  await verification.warmUp();
  await verification.mirror?.warmUp();
  return { settings, ...verification };
}
