import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { DAY, HOUR } from "../../../shared/kernel/clock.ts";
import { keyringSecretPrefix } from "../../../shared/keyring/names.ts";
import { resolvePolicy } from "../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../shared/keyring-store/secrets-manager.ts";
import { UpstashRevocationStore } from "../../../shared/revocation/upstash.ts";
import { simulateSessions } from "../../../shared/simulation/sessions.ts";
import { secretsManagerClient } from "../../support/aws.ts";
import { seededRandom } from "../../support/deterministic.ts";

describe("a simulated year of sessions (the sessions keyring in moto, key rules in Upstash)", () => {
  it("loses no session across twelve graceful rotations and a rollback; the emergency refuses every session under the leaked key", async () => {
    const services = inject("services");
    // The year starts now: Upstash expires entries in real time, so simulated time runs ahead of it.
    const start = Date.now();
    const clock = { t: start, now: () => clock.t };
    const policy = resolvePolicy({
      algorithm: "A256GCM",
      rotationPeriodMs: 30 * DAY,
      maxTokenLifetimeMs: 7 * DAY,
    });
    const report = await simulateSessions({
      policy,
      days: 365,
      users: 8,
      // Two users each every 6 hours, every day, every 3 days and every 6 days: the last hold
      // sessions under an old key for most of their 7-day life.
      paces: [6 * HOUR, DAY, 3 * DAY, 6 * DAY],
      tickEveryMs: 6 * HOUR,
      emergencyDay: 45,
      // Two days after the rotation of day 317 (ticks every 6 h: each activation lands a few
      // hours past its 30 days), while the key it replaced is still previous.
      rollbackDay: 319,
      startMs: start,
      random: seededRandom("sessions-year"),
      keyrings: new SecretsManagerKeyringStore({
        client: secretsManagerClient(services.motoUrl),
        prefix: keyringSecretPrefix(`keyward/${randomUUID()}`, "sessions"),
        clock,
      }),
      revocations: new UpstashRevocationStore({
        url: services.upstashUrl,
        token: services.upstashToken,
        timing: { maxTokenLifetimeSeconds: 7 * 86_400, clockToleranceSeconds: 0 },
        prefix: `s${randomUUID()}:`,
        budgetMs: 2_000,
      }),
    });
    const triggers = report.rotations.map((r) => r.trigger);
    expect(triggers.filter((t) => t === "scheduled").length).toBeGreaterThanOrEqual(10);
    expect(report.drills).toMatchObject({ emergency: { ok: true }, rollback: { ok: true } });
    expect(triggers.filter((t) => t === "emergency" || t === "rollback")).toEqual([
      "emergency",
      "rollback",
    ]);
    expect(report.rotations.every((r) => r.selfTest !== "failed")).toBe(true);
    expect(report.totals).toMatchObject({
      lostSessions: 0,
      gracefulLostSessions: 0,
      compromisedOpened: 0,
    });
    const emergency = report.rotations.find((r) => r.trigger === "emergency");
    expect(emergency?.forcedLogins).toBeGreaterThan(0);
    expect(report.totals.forcedLogins).toBe(emergency?.forcedLogins);
    expect(report.totals.resealed).toBeGreaterThan(0);
  }, 240_000);
});
