import type { Environment } from "../../shared/config/env.ts";
import { readWriterConfig } from "../../shared/config/writer-config.ts";
import { KEYRING_NAMES, type KeyringName } from "../../shared/keyring/names.ts";
import { createLogger, type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../../shared/observability/metrics.ts";
import { reportRevocationLag } from "../../shared/operations/revocation-lag.ts";
import type { TickOutcome } from "../../shared/operations/tick.ts";
import { tickAll } from "../../shared/operations/tick-all.ts";
import { awsOperationDeps } from "../aws/deps.ts";

const tickLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Function"]],
  metrics: { Ticks: "Count", PreviousKeyShareAfterMinGrace: "None" },
});

const evictionLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Function"]],
  metrics: { UpstashEvicts: "None", UpstashEvictionUnverified: "None" },
});

/**
 * The rotation function as deployed: settings from the environment (every problem at once), the
 * writers' stores, then one `tick` per keyring (signing, then sessions: the same code on each) per
 * scheduled event, logged, with a metric line: the largest share (in percent) of a previous key
 * still in use past its minimum grace, on either keyring, which the "previous key lingering" alarm
 * watches (0 when there is none). Each run also asks Upstash whether it may evict keys: 1 in
 * `UpstashEvicts` (the "Upstash evicts" alarm) when it may, 1 in `UpstashEvictionUnverified` and
 * a warning naming the manual check when it will not say; and publishes `RevocationLagExceeded`
 * when a live verifier's receipt says it applied revocations later than the promise.
 */
export async function createRotationFromEnv(
  env: Environment,
  write: LineWriter = stdoutWriter,
): Promise<() => Promise<Partial<Record<KeyringName, TickOutcome>>>> {
  const log = createLogger("keyward-rotation", write);
  const config = readWriterConfig(env);
  const deps = await awsOperationDeps(config, env, {
    deletesMaterial: true,
    functionName: "rotation",
    write,
  });
  return async () => {
    const now = deps.clock.now();
    const { outcomes, lingering } = await tickAll(
      KEYRING_NAMES.map((name) => deps.keyring(name)),
      now,
      (keyring, outcome) => {
        (outcome.status === "failed" ? log.error : log.info)("rotation tick", {
          keyring,
          ...outcome,
        });
        if (keyring === "signing" && outcome.status === "absent")
          log.warn(
            "no signing keyring yet: every token is refused until `keyward init` (or `keyward keys import`) creates it",
            {},
          );
      },
    );
    write(
      tickLine(
        { Function: "rotation" },
        { Ticks: 1, PreviousKeyShareAfterMinGrace: (lingering?.share ?? 0) * 100 },
        lingering === undefined ? {} : { kid: lingering.kid, keyring: lingering.keyring },
        now,
      ),
    );
    const late = await reportRevocationLag(deps, now);
    if (late > 0)
      log.warn("verifiers applied revocations later than the 1 s promise (RevocationLagExceeded)", {
        instances: late,
      });
    const eviction = await deps.checkEviction();
    write(
      evictionLine(
        { Function: "rotation" },
        {
          UpstashEvicts: eviction.status === "on" ? 1 : 0,
          UpstashEvictionUnverified: eviction.status === "unknown" ? 1 : 0,
        },
        {},
        now,
      ),
    );
    if (eviction.status === "on") {
      log.error("Upstash may evict keys, and with them revocations: turn eviction off", {
        policy: eviction.policy,
      });
    } else if (eviction.status === "unknown") {
      log.warn(
        "Upstash did not tell its eviction policy: check that Eviction is off in the Upstash console",
        { reason: eviction.reason },
      );
    }
    return outcomes;
  };
}
