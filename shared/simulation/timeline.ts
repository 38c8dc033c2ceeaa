import { DAY, HOUR, SECOND } from "../kernel/clock.ts";
import { ConfigInvalid } from "../kernel/errors.ts";
import type { OperationDeps } from "../operations/deps.ts";
import type { RotationRecord } from "../operations/journal.ts";
import { rollbackKeys } from "../operations/rollback.ts";
import { rotate } from "../operations/rotate.ts";

export interface DrillOutcome {
  readonly day: number;
  readonly ok: boolean;
  readonly message?: string;
}

export type Drill = "emergency" | "rollback";

/** One rotation of a simulation, as both report it, before their own figures. */
export interface SimulatedRotationBase {
  readonly trigger: RotationRecord["trigger"];
  readonly day: number;
  readonly at: string;
  readonly oldKid?: string;
  readonly newKid: string;
  readonly selfTest: RotationRecord["selfTest"];
}

/** What both reports start with. */
export interface SimulationReportBase<Row extends SimulatedRotationBase> {
  readonly days: number;
  readonly users: number;
  readonly rotations: readonly Row[];
  readonly drills: { readonly emergency?: DrillOutcome; readonly rollback?: DrillOutcome };
}

/** What both simulations share: the span, the scheduler, the drills. */
export interface TimelineSettings {
  readonly days: number;
  readonly startMs: number;
  /** How often the rotation function runs. Default 1 h, as deployed. */
  readonly tickEveryMs?: number;
  /** The day (from 1) of an emergency rotation drill, at noon; none when undefined. */
  readonly emergencyDay?: number;
  /** The day (from 1) of a rollback drill, at noon; none when undefined. */
  readonly rollbackDay?: number;
  /** Called once per simulated day, for a progress indication. */
  readonly onDay?: (day: number) => void;
}

export interface Timeline<User> extends TimelineSettings {
  readonly clock: { t: number };
  /** The keyring the drills act on. */
  readonly deps: OperationDeps;
  /** Each user's first visit and the interval to the next. */
  readonly users: readonly User[];
  readonly firstVisitAt: (user: User, index: number) => number;
  readonly everyMs: (user: User) => number;
  /** At the start of each scheduler period: flush usage, tick. */
  readonly onTick: (at: number) => Promise<void>;
  readonly visit: (user: User, index: number, at: number) => Promise<void>;
  /** Around a drill at `at`; the clock stands at `at` for the drill itself. */
  readonly beforeDrill?: (drill: Drill, at: number) => Promise<void>;
  readonly afterDrill?: (drill: Drill, at: number) => Promise<void>;
  /** Filled with every key the emergency drill compromises, as it does. */
  readonly compromised: Set<string>;
}

export interface TimelineResult {
  readonly endMs: number;
  readonly drills: { emergency?: DrillOutcome; rollback?: DrillOutcome };
}

/**
 * Runs a simulation's clock from `startMs` for `days`: each scheduler period starts with
 * `onTick`, then the period's visits and drills happen in time order (a drill before a visit at
 * the same instant). An emergency drill is `rotate --immediate`, a rollback drill
 * `rollback`, both by the actor `simulation`, at noon of their day.
 */
export async function runTimeline<User>(timeline: Timeline<User>): Promise<TimelineResult> {
  const { clock, deps, startMs, users, compromised } = timeline;
  const tickEveryMs = timeline.tickEveryMs ?? HOUR;
  const endMs = startMs + timeline.days * DAY;
  const drillAt: Record<Drill, number | undefined> = {
    emergency: dayNoon(startMs, timeline.emergencyDay),
    rollback: dayNoon(startMs, timeline.rollbackDay),
  };
  const drills: { emergency?: DrillOutcome; rollback?: DrillOutcome } = {};
  let nextVisit = users.map((user, index) => timeline.firstVisitAt(user, index));

  for (let sliceStart = startMs; sliceStart < endMs; sliceStart += tickEveryMs) {
    const sliceEnd = Math.min(sliceStart + tickEveryMs, endMs);
    if ((sliceStart - startMs) % DAY < tickEveryMs) timeline.onDay?.(dayOf(startMs, sliceStart));
    clock.t = sliceStart;
    await timeline.onTick(sliceStart);

    const events: ({ at: number; index: number } | { at: number; drill: Drill })[] = [];
    for (const drill of ["emergency", "rollback"] as const) {
      const at = drillAt[drill];
      if (at !== undefined && at >= sliceStart && at < sliceEnd) events.push({ at, drill });
    }
    nextVisit = nextVisit.map((at, index) => {
      let next = at;
      const every = timeline.everyMs(users[index] as User);
      for (; next < sliceEnd; next += every) events.push({ at: next, index });
      return next;
    });
    events.sort((a, b) => a.at - b.at || ("drill" in a ? -1 : 1));

    for (const event of events) {
      clock.t = event.at;
      if ("index" in event) {
        await timeline.visit(users[event.index] as User, event.index, event.at);
        continue;
      }
      await timeline.beforeDrill?.(event.drill, event.at);
      clock.t = event.at;
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
      await timeline.afterDrill?.(event.drill, event.at);
    }
  }
  return { endMs, drills };
}

/**
 * The rotations of a simulation, each with the period it was in force (until the next one), and
 * the events of `at` that fall in it; events before the first rotation come apart.
 */
export function rotationPeriods<E extends { readonly at: number }>(
  rotations: readonly RotationRecord[],
  events: readonly E[],
  endMs: number,
): {
  readonly periods: { record: RotationRecord; from: number; own: E[] }[];
  readonly before: E[];
} {
  const periods = rotations.map((record, i) => {
    const from = Date.parse(record.activatedAt);
    const next = rotations[i + 1];
    const until = next === undefined ? endMs : Date.parse(next.activatedAt);
    return { record, from, own: events.filter((e) => e.at >= from && e.at < until) };
  });
  const first = rotations[0];
  const before = events.filter((e) => first === undefined || e.at < Date.parse(first.activatedAt));
  return { periods, before };
}

/** A rotation's row as both reports start it. */
export function rotationRow(
  record: RotationRecord,
  from: number,
  startMs: number,
): SimulatedRotationBase {
  return {
    trigger: record.trigger,
    day: dayOf(startMs, from),
    at: record.activatedAt,
    ...(record.oldKid === undefined ? {} : { oldKid: record.oldKid }),
    newKid: record.newKid,
    selfTest: record.selfTest,
  };
}

/** The problems of the settings both simulations share, plus the given ones; throws if any. */
export function checkTimeline(
  settings: TimelineSettings,
  users: number,
  problems: string[] = [],
): void {
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!whole(settings.days, 1, 3650)) problems.push("days must be a whole number from 1 to 3650");
  if (!whole(users, 1, 10_000)) problems.push("users must be a whole number from 1 to 10000");
  if (!whole(settings.tickEveryMs ?? HOUR, SECOND, DAY))
    problems.push("the tick interval must be from 1 s to 1 day");
  for (const [name, day] of [
    ["emergency day", settings.emergencyDay],
    ["rollback day", settings.rollbackDay],
  ] as const) {
    if (day !== undefined && !whole(day, 1, settings.days))
      problems.push(`${name} must be a day of the simulation, from 1 to ${settings.days}`);
  }
  if (problems.length > 0) throw new ConfigInvalid(problems);
}

export const dayOf = (startMs: number, at: number) => Math.floor((at - startMs) / DAY) + 1;

/** Noon of day `day` (counted from 1), or undefined for no drill. */
function dayNoon(startMs: number, day: number | undefined): number | undefined {
  return day === undefined ? undefined : startMs + (day - 1) * DAY + 12 * HOUR;
}
