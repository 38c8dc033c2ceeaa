import { describe, expect, it } from "vitest";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward simulate", () => {
  it("`keyward simulate --days 365 --json` reports zero forced re-logins for graceful rotations", async () => {
    const run = await local.keyward(["simulate", "--days", "365", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string; forcedRelogins: number; issuerLag?: { logins: number } }[];
      totals: { gracefulForcedRelogins: number; refusedValidTokens: number };
    };
    expect(report.rotations.map((r) => r.trigger)).toEqual([
      "emergency",
      "scheduled",
      "scheduled",
      "scheduled",
      "rollback",
    ]);
    expect(report.totals).toMatchObject({ gracefulForcedRelogins: 0, refusedValidTokens: 0 });
    // Everyone logs in again; user 0, refused at noon right after the drill, gets a token the
    // issuer still signs with the compromised key (its cache is younger than 60 s) and logs in
    // once more: 21, and the issuer's two logins with that key (the drill's own one too).
    expect(report.rotations[0]).toMatchObject({ forcedRelogins: 21, issuerLag: { logins: 2 } });
  }, 120_000);

  it("`keyward simulate --keyring sessions --days 365 --json` loses no session in graceful rotations", async () => {
    const run = await local.keyward([
      "simulate",
      "--keyring",
      "sessions",
      "--days",
      "365",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string }[];
      totals: { lostSessions: number; compromisedOpened: number; resealed: number };
    };
    expect(report.rotations.filter((r) => r.trigger === "scheduled").length).toBeGreaterThan(9);
    expect(report.totals).toMatchObject({ lostSessions: 0, compromisedOpened: 0 });
    expect(report.totals.resealed).toBeGreaterThan(0);
  }, 120_000);

  it("simulates with the deployed functions' rotation settings, and names a bad one", async () => {
    const run = await local.keyward(
      [
        "simulate",
        "--days",
        "40",
        "--users",
        "3",
        "--emergency-day",
        "none",
        "--rollback-day",
        "none",
      ],
      { KEYWARD_ROTATION_PERIOD_DAYS: "10" },
    );
    expect(run.code).toBe(0);
    expect(run.stdout.match(/\| scheduled \|/g)).toHaveLength(3);
    const bad = await local.keyward(["simulate", "--days", "40"], { KEYWARD_MIN_GRACE_DAYS: "0" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      "KEYWARD_MIN_GRACE_DAYS must be at least KEYWARD_MAX_TOKEN_LIFETIME_SECONDS",
    );
  });
});
