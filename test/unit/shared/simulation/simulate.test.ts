import { describe, expect, it } from "vitest";
import { DAY, HOUR } from "../../../../shared/kernel/clock.ts";
import { ConfigInvalid } from "../../../../shared/kernel/errors.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { simulate } from "../../../../shared/simulation/simulate.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

describe("simulate", () => {
  it("a year of the default policy: four scheduled rotations, an emergency and a rollback; only the emergency logs anyone out", async () => {
    const report = await simulate({
      policy: resolvePolicy(),
      days: 365,
      users: 4,
      requestEveryMs: 3 * HOUR,
      emergencyDay: 45,
      rollbackDay: 317,
      startMs: T0,
      random: seededRandom("simulate"),
    });
    expect(report.rotations.map((r) => [r.trigger, r.day])).toEqual([
      ["emergency", 45],
      ["scheduled", 135],
      ["scheduled", 225],
      ["scheduled", 315],
      ["rollback", 317],
    ]);
    // All 4 users' tokens are refused at their first request after the emergency. User 0's comes
    // at noon, right after the drill, while the issuer's keyring (loaded for a login just before)
    // is younger than its 60 s TTL: its new token is signed with the compromised key, refused at
    // the next request, and user 0 logs in a second time. The drill's own login is the other one.
    expect(report.rotations[0]).toMatchObject({
      refusedValidTokens: 0,
      forcedRelogins: 5,
      oldKeyTokensWorkedForSeconds: 0,
      issuerLag: { logins: 2 },
    });
    expect(report.rotations[0]?.issuerLag?.lastAfterSeconds).toBeLessThanOrEqual(60);
    for (const rotation of report.rotations.slice(1)) {
      expect(rotation).toMatchObject({ refusedValidTokens: 0, forcedRelogins: 0 });
    }
    expect(report.drills).toEqual({
      emergency: { day: 45, ok: true },
      rollback: { day: 317, ok: true },
    });
    expect(report.totals).toEqual({
      refusedValidTokens: 0,
      forcedRelogins: 5,
      gracefulForcedRelogins: 0,
      refusedNewLogins: 0,
    });
    expect(report.verifications).toBe(365 * 8 * 4);
  });

  it("verifiers that lag — an edge isolate frozen for hours right after a key is published, an authorizer cut off for the emergency's day — refuse no valid token and accept no leaked one", async () => {
    const report = await simulate({
      policy: resolvePolicy(),
      days: 200,
      users: 6,
      requestEveryMs: HOUR,
      emergencyDay: 45,
      cutOffDay: 45,
      coldHours: 12,
      rollbackDay: 137,
      startMs: T0,
      random: seededRandom("lagging"),
    });
    expect(report.rotations.map((r) => [r.trigger, r.day])).toEqual([
      ["emergency", 45],
      ["scheduled", 135],
      ["rollback", 137],
    ]);
    const [steady, edge, cutOff] = report.verifiers;
    // The edge froze a minute after the first pending key was published (the scheduled rotation
    // publishes its key two minutes before day 135's activation is due), and missed its activation.
    expect(edge?.away).toBeDefined();
    const frozenFrom = Date.parse(edge!.away!.from);
    expect(Date.parse(report.rotations[1]!.at)).toBeGreaterThan(frozenFrom);
    expect(Date.parse(report.rotations[1]!.at)).toBeLessThan(Date.parse(edge!.away!.until));
    expect(cutOff?.away).toEqual({
      from: new Date(T0 + 44 * DAY).toISOString(),
      until: new Date(T0 + 45 * DAY).toISOString(),
    });
    // While away, their users' requests went to the steady authorizer.
    expect(steady!.verifications).toBeGreaterThan(edge!.verifications);
    expect(edge!.verifications).toBeGreaterThan(0);
    expect(cutOff!.verifications).toBeGreaterThan(0);
    expect(report.rotations[0]).toMatchObject({ oldKeyTokensWorkedForSeconds: 0 });
    expect(report.totals).toMatchObject({
      refusedValidTokens: 0,
      gracefulForcedRelogins: 0,
      refusedNewLogins: 0,
    });
  });

  it("a year of rolling rotations logs nobody out either", async () => {
    const report = await simulate({
      policy: resolvePolicy({ strategy: "rolling" }),
      days: 365,
      users: 8,
      requestEveryMs: 3 * HOUR,
      startMs: T0,
      random: seededRandom("rolling"),
    });
    expect(report.rotations.map((r) => r.trigger)).toEqual(["scheduled", "scheduled", "scheduled"]);
    expect(report.totals).toMatchObject({ forcedRelogins: 0, refusedValidTokens: 0 });
  });

  it("shows the damage when tokens outlive the grace the policy was given", async () => {
    const policy = resolvePolicy({
      rotationPeriodMs: 10 * DAY,
      maxTokenLifetimeMs: DAY,
      minGraceMs: DAY,
      maxGraceMs: DAY,
    });
    const report = await simulate({
      policy,
      days: 30,
      users: 5,
      tokenLifetimeMs: 5 * DAY,
      startMs: T0,
      random: seededRandom("too-long"),
    });
    expect(report.rotations.filter((r) => r.trigger === "scheduled")).toHaveLength(2);
    expect(report.totals.gracefulForcedRelogins).toBeGreaterThan(0);
    expect(report.totals.refusedValidTokens).toBe(report.totals.gracefulForcedRelogins);
  });

  it("reports a drill the lifecycle refuses instead of failing the run", async () => {
    const report = await simulate({
      policy: resolvePolicy(),
      days: 3,
      users: 2,
      rollbackDay: 2,
      startMs: T0,
      random: seededRandom("no-previous"),
    });
    expect(report.drills.rollback).toEqual({
      day: 2,
      ok: false,
      message: "there is no previous key to roll back to",
    });
    expect(report.rotations).toEqual([]);
  });

  it("refuses settings it cannot simulate, naming each", async () => {
    const run = simulate({
      policy: resolvePolicy(),
      days: 0,
      users: 0,
      emergencyDay: 9,
      startMs: T0,
      random: seededRandom("bad"),
    });
    await expect(run).rejects.toBeInstanceOf(ConfigInvalid);
    await expect(run).rejects.toMatchObject({
      problems: [
        "days must be a whole number from 1 to 3650",
        "users must be a whole number from 1 to 10000",
        "emergency day must be a day of the simulation, from 1 to 0",
      ],
    });
  });
});
