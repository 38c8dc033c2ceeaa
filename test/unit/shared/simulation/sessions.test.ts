import { describe, expect, it } from "vitest";
import { DAY } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { simulateSessions } from "../../../../shared/simulation/sessions.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

const sessionsPolicy = resolvePolicy({
  algorithm: "A256GCM",
  rotationPeriodMs: 30 * DAY,
  maxTokenLifetimeMs: 7 * DAY,
});

describe("simulateSessions", () => {
  it("a year of sessions re-sealed lazily: eleven graceful rotations and a rollback lose none; the emergency refuses every session under the leaked key", async () => {
    const report = await simulateSessions({
      policy: sessionsPolicy,
      days: 365,
      users: 8,
      emergencyDay: 45,
      rollbackDay: 317,
      startMs: T0,
      random: seededRandom("simulate-sessions"),
    });
    const triggers = report.rotations.map((r) => r.trigger);
    expect(triggers.filter((t) => t === "scheduled").length).toBeGreaterThanOrEqual(10);
    expect(triggers.filter((t) => t === "emergency")).toHaveLength(1);
    expect(report.drills).toEqual({
      emergency: { day: 45, ok: true },
      rollback: { day: 317, ok: true },
    });
    // Every session under the leaked key is refused at its next visit (a user whose session had
    // expired by then logs in anyway), none opens; the emergency is the only forced login.
    const emergency = report.rotations.find((r) => r.trigger === "emergency");
    expect(emergency?.forcedLogins).toBeGreaterThanOrEqual(4);
    expect(report.totals).toMatchObject({
      lostSessions: 0,
      gracefulLostSessions: 0,
      compromisedOpened: 0,
      forcedLogins: emergency?.forcedLogins,
    });
    // Users who come back every 6 days hold sessions sealed under a key for most of its grace:
    // re-sealing moved them, and no rotation retired a key under a live session.
    expect(report.totals.resealed).toBeGreaterThan(0);
    for (const rotation of report.rotations.filter((r) => r.trigger !== "emergency"))
      expect(rotation).toMatchObject({ lostSessions: 0, forcedLogins: 0 });
  });

  it("refuses a signing policy and days outside the simulation, naming each problem", async () => {
    await expect(
      simulateSessions({
        policy: resolvePolicy(),
        days: 10,
        emergencyDay: 11,
        startMs: T0,
        random: seededRandom("x"),
      }),
    ).rejects.toThrow(ConfigInvalid);
  });
});
