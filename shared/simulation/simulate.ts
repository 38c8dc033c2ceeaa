import { MemoryAuditJournal } from "../audit/memory.ts";
import { MemoryEventPublisher } from "../events/events.ts";
import { createIssuer } from "../issuing/issuer.ts";
import { DAY, HOUR, SECOND } from "../kernel/clock.ts";
import type { RandomSource } from "../kernel/random.ts";
import { generateKey } from "../keyring/generate.ts";
import type { Algorithm } from "../keyring/key.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { createKeyring } from "../keyring/transitions.ts";
import type { KeyCustody } from "../keyring-store/custody.ts";
import { MemoryKeyringStore } from "../keyring-store/memory.ts";
import { custodyOf } from "../operations/deps.ts";
import { rotationJournal } from "../operations/journal.ts";
import { tick } from "../operations/tick.ts";
import { MemoryReceipts } from "../receipts/store.ts";
import { guardRevocations } from "../revocation/guard.ts";
import { MemoryRevocationStore } from "../revocation/memory.ts";
import type { KmsSigning } from "../tokens/kms-jws.ts";
import { MemoryUsageStore } from "../usage/counts.ts";
import { type LaggingSettings, type SimulatedVerifier, VerifierFleet } from "./fleet.ts";
import {
  checkTimeline,
  rotationPeriods,
  rotationRow,
  runTimeline,
  type SimulatedRotationBase,
  type SimulationReportBase,
  type TimelineSettings,
} from "./timeline.ts";

export type { DrillOutcome } from "./timeline.ts";

export interface SimulationOptions extends TimelineSettings, LaggingSettings {
  readonly policy: RotationPolicy;
  /** Users, each holding one token and presenting it every `requestEveryMs`. Default 50. */
  readonly users?: number;
  /** Default 1 h; users' requests are spread evenly over the interval. */
  readonly requestEveryMs?: number;
  /** Lifetime of the tokens issued. Default: the policy's maximum token lifetime. */
  readonly tokenLifetimeMs?: number;
  readonly random: RandomSource;
  /**
   * Where the keyring's keys are made and held: with it (default), or in KMS (`kmsCustody`, with
   * `kms` for the issuer to sign through). Keys left at the end are given up, so a run against
   * real KMS leaves none enabled.
   */
  readonly custody?: KeyCustody;
  readonly kms?: KmsSigning;
  /**
   * The first key's algorithm, made here, when the keyring starts as one about to move to
   * `custody`'s keys (a migration to KMS: its next key is the first held there).
   */
  readonly firstKey?: Algorithm;
}

export interface SimulatedRotation extends SimulatedRotationBase {
  /** Refusals of tokens that were unexpired and not revoked (an emergency revokes earlier ones). */
  readonly refusedValidTokens: number;
  /** Users who had to log in again because a request of theirs was refused. */
  readonly forcedRelogins: number;
  /**
   * Emergency only: how long after it a token signed with a compromised key was still accepted,
   * in seconds (0: refused from the first request after it).
   */
  readonly oldKeyTokensWorkedForSeconds?: number;
  /**
   * Emergency only: logins the issuer signed with a compromised key because its cached keyring
   * was younger than its TTL (each refused at its first request: the user logs in again), and how
   * long after the emergency the last of them was signed, in seconds (at most the issuer's TTL).
   */
  readonly issuerLag?: { readonly logins: number; readonly lastAfterSeconds: number };
}

export interface SimulationReport extends SimulationReportBase<SimulatedRotation> {
  readonly verifications: number;
  /** The verifiers the requests went to, and when each lagging one was away. */
  readonly verifiers: readonly SimulatedVerifier[];
  readonly totals: {
    readonly refusedValidTokens: number;
    readonly forcedRelogins: number;
    /** Forced re-logins in scheduled, manual and rollback rotations: the promise is zero. */
    readonly gracefulForcedRelogins: number;
    /**
     * Logins refused: each user logs in again 1 ms after a refusal, and one logs in 1 ms after each
     * drill, in the same second as its cut-off. Always a bug, unless the issuer signed the login
     * with a key an emergency had just compromised (counted in that rotation's `issuerLag`).
     */
    readonly refusedNewLogins: number;
  };
}

interface Holder {
  token: string;
  kid: string;
  issuedAt: number;
  expiresAt: number;
}

/** The issuer's keyring cache TTL: a login service's default. */
const ISSUER_CACHE_TTL_SECONDS = 60;

interface Refusal {
  readonly at: number;
  readonly revoked: boolean;
}

/**
 * A run of the rotation policy against a traffic model, on the in-memory stores and the real
 * issuing and verification paths (the issuer with its own keyring cache; keyring cache, verifier,
 * revocation check), with time injected: users log in, present their token on a fixed cadence,
 * get a new one when it expires, and log in again when a request is refused. The rotation
 * function ticks on its schedule; the drills happen at noon.
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const settings = checkedSettings(options);
  const { policy, startMs, random } = options;
  const { users, requestEveryMs, tokenLifetimeMs } = settings;
  const clock = { t: startMs, now: () => clock.t };
  const timing = {
    maxTokenLifetimeSeconds: Math.ceil(policy.maxTokenLifetimeMs / SECOND),
    clockToleranceSeconds: 5,
  };
  const receipts = new MemoryReceipts();
  const usageStore = new MemoryUsageStore(receipts);
  const deps = {
    keyringName: "signing" as const,
    keyrings: new MemoryKeyringStore(),
    revocations: new MemoryRevocationStore(timing, clock),
    audit: new MemoryAuditJournal(Number.MAX_SAFE_INTEGER),
    events: new MemoryEventPublisher(),
    clock,
    random,
    policy,
    timing,
    usage: usageStore,
    receipts,
    ...(options.custody === undefined ? {} : { custody: options.custody }),
  };
  const first =
    options.firstKey === undefined
      ? await custodyOf(deps).create(policy.algorithm, startMs)
      : await generateKey(options.firstKey, startMs, random);
  await deps.keyrings.save(createKeyring(first, startMs));
  const fleet = new VerifierFleet(
    {
      keyrings: deps.keyrings,
      revocations: guardRevocations(deps.revocations),
      usage: usageStore,
      policy,
      maxTokenLifetimeSeconds: deps.timing.maxTokenLifetimeSeconds,
      clock,
    },
    startMs,
    options,
  );
  const lifetimeSeconds = Math.max(1, Math.floor(tokenLifetimeMs / SECOND));
  const issuer = createIssuer({
    keyring: { load: () => deps.keyrings.load() },
    cacheTtlSeconds: ISSUER_CACHE_TTL_SECONDS,
    clock,
    random,
    lifetimeSeconds,
    maxLifetimeSeconds: lifetimeSeconds,
    ...(options.kms === undefined ? {} : { kms: options.kms }),
  });
  /** Every key the emergency drill compromised, and the issuer's logins signed with one. */
  const compromised = new Set<string>();
  const lag = { logins: 0, lastAt: Number.NEGATIVE_INFINITY };
  /** A login at the clock's instant, through the login service's issuer. */
  const login = async (user: number): Promise<Holder> => {
    const issued = await issuer.issue({ sub: `user-${user}` });
    if (compromised.has(issued.kid)) {
      lag.logins++;
      lag.lastAt = clock.t;
    }
    const { token, kid } = issued;
    return { token, kid, issuedAt: clock.t, expiresAt: Date.parse(issued.expiresAt) };
  };
  let refusedNewLogins = 0;
  let lastOldTokenAccepted: number | undefined;
  /**
   * A login right after a refusal or a drill: it must work, unless the issuer signed it with a
   * key the emergency just compromised (then it must not; `issuerLag` counts it).
   */
  const loginAgain = async (user: number): Promise<Holder> => {
    const holder = await login(user);
    const { ok } = await fleet.verify(user, holder.token, clock.t);
    if (compromised.has(holder.kid)) {
      if (ok) lastOldTokenAccepted = clock.t;
    } else if (!ok) refusedNewLogins++;
    return holder;
  };

  const holders: Holder[] = [];
  for (let user = 0; user < users; user++) holders.push(await login(user));
  const refusals: Refusal[] = [];
  let verifications = 0;

  const { endMs, drills } = await runTimeline({
    ...options,
    clock,
    deps,
    compromised,
    users: holders.map((_, user) => user),
    firstVisitAt: (user) => startMs + (user * requestEveryMs) / users,
    everyMs: () => requestEveryMs,
    onTick: async (at) => {
      await fleet.beforeTick(at);
      await tick(deps, at);
      fleet.afterTick(await deps.keyrings.load(), at);
    },
    // The worst case for the issuer: it loaded the keyring for a login just before the drill.
    beforeDrill: async (_, at) => {
      clock.t = at - 1;
      await login(0);
    },
    // A login right after the drill, in the second of its cut-off.
    afterDrill: async (_, at) => {
      clock.t = at + 1;
      await loginAgain(0);
    },
    visit: async (user, _, at) => {
      let holder = holders[user];
      if (holder === undefined || holder.expiresAt <= at)
        holder = holders[user] = await login(user);
      verifications++;
      const result = await fleet.verify(user, holder.token, at);
      const leaked = compromised.has(holder.kid);
      if (result.ok) {
        if (leaked) lastOldTokenAccepted = at;
        return;
      }
      refusals.push({ at, revoked: leaked });
      // The user logs in again at once (1 ms later, in the same second as any cut-off that
      // refused the request) and repeats the request.
      clock.t = at + 1;
      holders[user] = await loginAgain(user);
    },
  });
  await fleet.flush(endMs);
  for (const key of (await deps.keyrings.load())?.keys ?? [])
    if (key.status !== "destroyed") await custodyOf(deps).abandon(key);

  const rotations = (await rotationJournal({ audit: deps.audit }, startMs)).filter(
    (record) => !record.rolledBack,
  );
  const { periods, before: beforeFirst } = rotationPeriods(rotations, refusals, endMs);
  const simulated = periods.map(({ record, from, own }): SimulatedRotation => {
    const emergency = record.trigger === "emergency";
    return {
      ...rotationRow(record, from, startMs),
      refusedValidTokens: own.filter((r) => !r.revoked).length,
      forcedRelogins: own.length,
      ...(emergency
        ? {
            oldKeyTokensWorkedForSeconds:
              lastOldTokenAccepted === undefined ? 0 : (lastOldTokenAccepted - from) / SECOND,
            issuerLag: {
              logins: lag.logins,
              lastAfterSeconds: lag.logins === 0 ? 0 : (lag.lastAt - from) / SECOND,
            },
          }
        : {}),
    };
  });
  const sum = (
    rows: readonly SimulatedRotation[],
    field: "refusedValidTokens" | "forcedRelogins",
  ) => rows.reduce((total, row) => total + row[field], 0);
  return {
    days: options.days,
    users,
    verifications,
    verifiers: fleet.report(),
    rotations: simulated,
    drills,
    totals: {
      refusedValidTokens:
        sum(simulated, "refusedValidTokens") + beforeFirst.filter((r) => !r.revoked).length,
      forcedRelogins: sum(simulated, "forcedRelogins") + beforeFirst.length,
      gracefulForcedRelogins:
        sum(
          simulated.filter((row) => row.trigger !== "emergency"),
          "forcedRelogins",
        ) + beforeFirst.length,
      refusedNewLogins,
    },
  };
}

function checkedSettings(options: SimulationOptions) {
  const settings = {
    users: options.users ?? 50,
    requestEveryMs: options.requestEveryMs ?? HOUR,
    tokenLifetimeMs: options.tokenLifetimeMs ?? options.policy.maxTokenLifetimeMs,
  };
  const problems: string[] = [];
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!whole(settings.requestEveryMs, SECOND, DAY))
    problems.push("the request interval must be from 1 s to 1 day");
  if (!whole(settings.tokenLifetimeMs, SECOND, 365 * DAY))
    problems.push("the token lifetime must be from 1 s to 365 days");
  if (options.coldHours !== undefined && !whole(options.coldHours, 0, 720))
    problems.push("cold hours must be a whole number from 0 to 720");
  if (options.cutOffDay !== undefined && !whole(options.cutOffDay, 1, options.days))
    problems.push(`the cut-off day must be a day of the simulation, from 1 to ${options.days}`);
  checkTimeline(options, settings.users, problems);
  return settings;
}
