import { MemoryAuditJournal } from "../audit/memory.ts";
import { DAY, HOUR, SECOND } from "../clock.ts";
import { ConfigInvalid } from "../errors.ts";
import { MemoryEventPublisher } from "../events.ts";
import { generateKey } from "../keyring/generate.ts";
import type { RotationPolicy } from "../keyring/policy.ts";
import { createKeyring } from "../keyring/transitions.ts";
import { MemoryKeyringStore } from "../keyring-store/memory.ts";
import type { KeyringStore } from "../keyring-store/store.ts";
import { type RotationRecord, rotationJournal } from "../operations/journal.ts";
import { rollbackKeys, rotate } from "../operations/keys.ts";
import { tick } from "../operations/tick.ts";
import type { RandomSource } from "../random.ts";
import { MemoryRevocationStore } from "../revocation/memory.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { createSessions } from "../sealing/sessions.ts";
import { MemoryUsageStore } from "../usage/counts.ts";
import { type DrillOutcome, dayNoon, dayOf } from "./simulate.ts";

export interface SessionSimulationOptions {
  /** The sessions keyring's policy (A256GCM); its maximum lifetime is the sessions'. */
  readonly policy: RotationPolicy;
  readonly days: number;
  /**
   * Users, each holding one session. They come back at different paces (every hour, day, 3 days,
   * 6 days, in turn), so some sessions stay sealed under an old key for most of their life.
   * Default 50.
   */
  readonly users?: number;
  /** How often the rotation function runs. Default 1 h, as deployed. */
  readonly tickEveryMs?: number;
  /** The day (from 1) of an emergency rotation drill, at noon; none when undefined. */
  readonly emergencyDay?: number;
  /** The day (from 1) of a rollback drill, at noon; none when undefined. */
  readonly rollbackDay?: number;
  /** How often users come back, in turn (user i: `paces[i % length]`). Default 1 h, 1, 3 and 6 days. */
  readonly paces?: readonly number[];
  readonly startMs: number;
  readonly random: RandomSource;
  /** Called once per simulated day, for a progress indication. */
  readonly onDay?: (day: number) => void;
  /** Where the keyring lives. Default in memory (Secrets Manager in the integration test). */
  readonly keyrings?: KeyringStore;
  /** Where the emergency's key rules live. Default in memory (Upstash in the integration test). */
  readonly revocations?: RevocationStore;
}

export interface SimulatedSessionRotation {
  readonly trigger: RotationRecord["trigger"];
  readonly day: number;
  readonly at: string;
  readonly oldKid?: string;
  readonly newKid: string;
  readonly selfTest: RotationRecord["selfTest"];
  /** Unexpired sessions refused while their key was not compromised: lost. The promise is zero. */
  readonly lostSessions: number;
  /** Users who had to log in again because their session was refused. */
  readonly forcedLogins: number;
}

export interface SessionSimulationReport {
  readonly days: number;
  readonly users: number;
  /** Sessions opened (and refused) in all. */
  readonly opens: number;
  readonly rotations: readonly SimulatedSessionRotation[];
  readonly drills: { readonly emergency?: DrillOutcome; readonly rollback?: DrillOutcome };
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

type Visit = { readonly at: number; readonly user: number };
type Drill = { readonly at: number; readonly drill: "emergency" | "rollback" };

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
  const tickEveryMs = options.tickEveryMs ?? HOUR;
  checkSettings(options, users, tickEveryMs);
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
  const compromised = new Set<string>();
  let sealedAfterEmergency = 0;
  const login = async (user: number): Promise<Holder> => {
    const expiresAt = clock.t + lifetimeMs;
    const envelope = await sessions.seal(`cart of user ${user}`, {
      aad: `user-${user}`,
      expiresAt,
    });
    const kid = envelope.split(".")[1] ?? "";
    if (compromised.has(kid)) sealedAfterEmergency++;
    return { envelope, kid, expiresAt };
  };

  const holders: Holder[] = [];
  for (let user = 0; user < users; user++) holders.push(await login(user));
  const paces = options.paces ?? DEFAULT_PACES;
  const paceOf = (user: number) => paces[user % paces.length] as number;
  let nextVisit = holders.map((_, user) => startMs + ((user + 1) * paceOf(user)) / users);
  const drillAt = {
    emergency: dayNoon(startMs, options.emergencyDay),
    rollback: dayNoon(startMs, options.rollbackDay),
  };
  const drills: { emergency?: DrillOutcome; rollback?: DrillOutcome } = {};
  const refusals: { at: number; lost: boolean }[] = [];
  let opens = 0;
  let resealed = 0;
  let compromisedOpened = 0;
  const endMs = startMs + options.days * DAY;

  for (let sliceStart = startMs; sliceStart < endMs; sliceStart += tickEveryMs) {
    const sliceEnd = Math.min(sliceStart + tickEveryMs, endMs);
    if ((sliceStart - startMs) % DAY < tickEveryMs) options.onDay?.(dayOf(startMs, sliceStart));
    clock.t = sliceStart;
    await sessions.flush();
    await tick(deps, sliceStart);

    const events: (Visit | Drill)[] = [];
    for (const drill of ["emergency", "rollback"] as const) {
      const at = drillAt[drill];
      if (at !== undefined && at >= sliceStart && at < sliceEnd) events.push({ at, drill });
    }
    nextVisit = nextVisit.map((at, user) => {
      let next = at;
      for (; next < sliceEnd; next += paceOf(user)) events.push({ at: next, user });
      return next;
    });
    events.sort((a, b) => a.at - b.at || ("drill" in a ? -1 : 1));

    for (const event of events) {
      clock.t = event.at;
      if ("drill" in event) {
        const request = { reason: `simulated ${event.drill} drill`, actor: "simulation" };
        const result =
          event.drill === "emergency"
            ? await rotate(deps, { ...request, mode: "immediate" })
            : await rollbackKeys(deps, request);
        drills[event.drill] = {
          day: dayOf(startMs, event.at),
          ok: result.ok,
          ...(result.ok ? {} : { message: result.message }),
        };
        if (event.drill === "emergency" && result.ok)
          for (const key of (await deps.keyrings.load())?.keys ?? [])
            if (key.compromised) compromised.add(key.kid);
        continue;
      }
      const { user } = event;
      let holder = holders[user] as Holder;
      if (holder.expiresAt <= event.at) holder = holders[user] = await login(user);
      opens++;
      const opened = await sessions.open(holder.envelope, { aad: `user-${user}` });
      const leaked = compromised.has(holder.kid);
      if (opened.ok) {
        if (leaked) compromisedOpened++;
        if (opened.reseal) {
          resealed++;
          const envelope = await sessions.seal(opened.plaintext, {
            aad: `user-${user}`,
            expiresAt: holder.expiresAt,
          });
          holders[user] = { ...holder, envelope, kid: envelope.split(".")[1] ?? "" };
        }
        continue;
      }
      refusals.push({ at: event.at, lost: !leaked });
      holders[user] = await login(user);
    }
  }
  await sessions.flush();

  const rotations = (await rotationJournal({ audit: deps.audit }, startMs, "sessions")).filter(
    (record) => !record.rolledBack,
  );
  const simulated = rotations.map((record, i): SimulatedSessionRotation => {
    const from = Date.parse(record.activatedAt);
    const next = rotations[i + 1];
    const until = next === undefined ? endMs : Date.parse(next.activatedAt);
    const own = refusals.filter((r) => r.at >= from && r.at < until);
    return {
      trigger: record.trigger,
      day: dayOf(startMs, from),
      at: record.activatedAt,
      ...(record.oldKid === undefined ? {} : { oldKid: record.oldKid }),
      newKid: record.newKid,
      selfTest: record.selfTest,
      lostSessions: own.filter((r) => r.lost).length,
      forcedLogins: own.length,
    };
  });
  const before = refusals.filter(
    (r) => rotations[0] === undefined || r.at < Date.parse(rotations[0].activatedAt),
  );
  const lost = (rows: readonly SimulatedSessionRotation[]) =>
    rows.reduce((sum, row) => sum + row.lostSessions, 0);
  return {
    days: options.days,
    users,
    opens,
    rotations: simulated,
    drills,
    totals: {
      resealed,
      lostSessions: lost(simulated) + before.filter((r) => r.lost).length,
      gracefulLostSessions:
        lost(simulated.filter((row) => row.trigger !== "emergency")) +
        before.filter((r) => r.lost).length,
      forcedLogins: refusals.length,
      compromisedOpened,
      sealedAfterEmergency,
    },
  };
}

function checkSettings(options: SessionSimulationOptions, users: number, tickEveryMs: number) {
  const problems: string[] = [];
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (options.policy.algorithm !== "A256GCM")
    problems.push("the policy must be the sessions keyring's (A256GCM)");
  if (!whole(options.days, 1, 3650)) problems.push("days must be a whole number from 1 to 3650");
  if (!whole(users, 1, 10_000)) problems.push("users must be a whole number from 1 to 10000");
  if (!whole(tickEveryMs, SECOND, DAY))
    problems.push("the tick interval must be from 1 s to 1 day");
  if (options.paces?.some((pace) => !whole(pace, SECOND, 365 * DAY)) ?? false)
    problems.push("each pace must be from 1 s to 365 days");
  for (const [name, day] of [
    ["emergency day", options.emergencyDay],
    ["rollback day", options.rollbackDay],
  ] as const) {
    if (day !== undefined && !whole(day, 1, options.days))
      problems.push(`${name} must be a day of the simulation, from 1 to ${options.days}`);
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
}
