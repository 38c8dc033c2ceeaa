import { MemoryAuditJournal } from "../audit/memory.ts";
import { MemoryEventPublisher } from "../events/events.ts";
import { DAY, HOUR, SECOND } from "../kernel/clock.ts";
import type { RandomSource } from "../kernel/random.ts";
import { generateKey } from "../keyring/generate.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { createKeyring } from "../keyring/transitions.ts";
import { MemoryKeyringStore } from "../keyring-store/memory.ts";
import type { KeyringStore } from "../keyring-store/store.ts";
import { rotationJournal } from "../operations/journal.ts";
import { tick } from "../operations/tick.ts";
import { MemoryRevocationStore } from "../revocation/memory.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { createSessions } from "../sealing/sessions.ts";
import { MemoryUsageStore } from "../usage/counts.ts";
import {
  checkTimeline,
  rotationPeriods,
  rotationRow,
  runTimeline,
  type SimulatedRotationBase,
  type SimulationReportBase,
  type TimelineSettings,
} from "./timeline.ts";

export interface SessionSimulationOptions extends TimelineSettings {
  /** The sessions keyring's policy (A256GCM); its maximum lifetime is the sessions'. */
  readonly policy: RotationPolicy;
  /**
   * Users, each holding one session. They come back at different paces (every hour, day, 3 days,
   * 6 days, in turn), so some sessions stay sealed under an old key for most of their life.
   * Default 50.
   */
  readonly users?: number;
  /** How often users come back, in turn (user i: `paces[i % length]`). Default 1 h, 1, 3 and 6 days. */
  readonly paces?: readonly number[];
  readonly random: RandomSource;
  /** Where the keyring lives. Default in memory (Secrets Manager in the integration test). */
  readonly keyrings?: KeyringStore;
  /** Where the emergency's key rules live. Default in memory (Upstash in the integration test). */
  readonly revocations?: RevocationStore;
}

export interface SimulatedSessionRotation extends SimulatedRotationBase {
  /** Unexpired sessions refused while their key was not compromised: lost. The promise is zero. */
  readonly lostSessions: number;
  /** Users who had to log in again because their session was refused. */
  readonly forcedLogins: number;
}

export interface SessionSimulationReport extends SimulationReportBase<SimulatedSessionRotation> {
  /** Sessions opened (and refused) in all. */
  readonly opens: number;
  readonly totals: {
    /** Opens that asked for a re-seal (a key not current), and got it: how the old key's share falls. */
    readonly resealed: number;
    readonly lostSessions: number;
    /** Lost sessions in scheduled, manual and rollback rotations: the promise is zero. */
    readonly gracefulLostSessions: number;
    readonly forcedLogins: number;
    /** Sessions sealed under a compromised key and opened after the emergency: the promise is zero. */
    readonly compromisedOpened: number;
    /**
     * Emergency: sessions sealed under the compromised key after it, by a sealer whose cached
     * keyring was younger than its TTL; each is refused at its next request (the user logs in).
     */
    readonly sealedAfterEmergency: number;
  };
}

interface Holder {
  envelope: string;
  kid: string;
  expiresAt: number;
}

const DEFAULT_PACES = [HOUR, DAY, 3 * DAY, 6 * DAY];

/**
 * A year (or any span) of sessions under the sessions keyring's policy, on the in-memory stores
 * and the real paths (keyward/sessions with its own keyring cache and the emergency's key rules,
 * the rotation function's tick with the usage the opens record), with time injected. Each user
 * logs in (a session sealed with the current key, expiring after the maximum session lifetime),
 * comes back at their own pace and opens it; a session the sealer asks to re-seal is sealed again
 * with the same expiry (lazy re-sealing, as an app does); a refused or expired session means a
 * new login. The drills happen at noon.
 */
export async function simulateSessions(
  options: SessionSimulationOptions,
): Promise<SessionSimulationReport> {
  const { policy, startMs, random } = options;
  const users = options.users ?? 50;
  const paces = options.paces ?? DEFAULT_PACES;
  const problems: string[] = [];
  if (policy.algorithm !== "A256GCM")
    problems.push("the policy must be the sessions keyring's (A256GCM)");
  if (paces.length === 0 || paces.some((pace) => !(pace >= SECOND && pace <= 365 * DAY)))
    problems.push("each pace must be from 1 s to 365 days");
  checkTimeline(options, users, problems);
  const clock = { t: startMs, now: () => clock.t };
  const lifetimeMs = policy.maxTokenLifetimeMs;
  const timing = {
    maxTokenLifetimeSeconds: Math.ceil(lifetimeMs / SECOND),
    clockToleranceSeconds: 0,
  };
  const usage = new MemoryUsageStore();
  const deps = {
    keyringName: "sessions" as const,
    keyrings: options.keyrings ?? new MemoryKeyringStore(),
    revocations: options.revocations ?? new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(Number.MAX_SAFE_INTEGER),
    events: new MemoryEventPublisher(),
    clock,
    random,
    policy,
    timing,
    usage,
  };
  await deps.keyrings.save(
    createKeyring(await generateKey(policy.algorithm, startMs, random), startMs),
  );
  const sessions = createSessions({
    keyring: { load: () => deps.keyrings.load() },
    revocations: deps.revocations,
    usage,
    clock,
    cacheTtlSeconds: policy.keyringCacheTtlMs / SECOND,
    maxSessionLifetimeSeconds: Math.floor(lifetimeMs / SECOND),
  });
  const counts = { opens: 0, resealed: 0, compromisedOpened: 0, sealedAfterEmergency: 0 };
  const compromised = new Set<string>();
  const login = async (user: number): Promise<Holder> => {
    const expiresAt = clock.t + lifetimeMs;
    const envelope = await sessions.seal(`cart of user ${user}`, {
      aad: `user-${user}`,
      expiresAtMs: expiresAt,
    });
    const kid = envelope.split(".")[1] ?? "";
    if (compromised.has(kid)) counts.sealedAfterEmergency++;
    return { envelope, kid, expiresAt };
  };
  const holders: Holder[] = [];
  for (let user = 0; user < users; user++) holders.push(await login(user));
  const refusals: { at: number; lost: boolean }[] = [];

  const outcome = await runTimeline({
    ...options,
    clock,
    deps,
    users: holders.map((_, user) => paces[user % paces.length] as number),
    firstVisitAt: (pace, user) => startMs + ((user + 1) * pace) / users,
    everyMs: (pace) => pace,
    onTick: async (at) => {
      await sessions.flush();
      await tick(deps, at);
    },
    compromised,
    visit: async (_, user, at) => {
      let holder = holders[user] as Holder;
      if (holder.expiresAt <= at) holder = holders[user] = await login(user);
      counts.opens++;
      const opened = await sessions.open(holder.envelope, { aad: `user-${user}` });
      const leaked = compromised.has(holder.kid);
      if (opened.ok) {
        if (leaked) counts.compromisedOpened++;
        if (opened.reseal) {
          counts.resealed++;
          const envelope = await sessions.seal(opened.plaintext, {
            aad: `user-${user}`,
            expiresAtMs: holder.expiresAt,
          });
          holders[user] = { ...holder, envelope, kid: envelope.split(".")[1] ?? "" };
        }
        return;
      }
      refusals.push({ at, lost: !leaked });
      holders[user] = await login(user);
    },
  });
  await sessions.flush();

  const rotations = (await rotationJournal({ audit: deps.audit }, startMs, "sessions")).filter(
    (record) => !record.rolledBack,
  );
  const { periods, before } = rotationPeriods(rotations, refusals, outcome.endMs);
  const simulated = periods.map(
    ({ record, from, own }): SimulatedSessionRotation => ({
      ...rotationRow(record, from, startMs),
      lostSessions: own.filter((r) => r.lost).length,
      forcedLogins: own.length,
    }),
  );
  const lost = (rows: readonly SimulatedSessionRotation[]) =>
    rows.reduce((sum, row) => sum + row.lostSessions, 0);
  const lostBefore = before.filter((r) => r.lost).length;
  return {
    days: options.days,
    users,
    opens: counts.opens,
    rotations: simulated,
    drills: outcome.drills,
    totals: {
      resealed: counts.resealed,
      lostSessions: lost(simulated) + lostBefore,
      gracefulLostSessions:
        lost(simulated.filter((row) => row.trigger !== "emergency")) + lostBefore,
      forcedLogins: refusals.length,
      compromisedOpened: counts.compromisedOpened,
      sealedAfterEmergency: counts.sealedAfterEmergency,
    },
  };
}
