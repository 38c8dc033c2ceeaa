import { describe, expect, inject, it } from "vitest";
import { motoEnvironment } from "../../support/aws.ts";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward simulate", () => {
  it("`keyward simulate --days 365 --json` reports zero forced re-logins for graceful rotations", async () => {
    const run = await local.keyward(["simulate", "--days", "365", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string; forcedRelogins: number; issuerLag?: { logins: number } }[];
      totals: { gracefulForcedRelogins: number; refusedValidTokens: number };
      verifiers: { name: string; lag: string; away?: { from: string; until: string } }[];
    };
    // Three verifiers, two of them lagging: an edge isolate frozen 6 h after the first key is
    // published, an authorizer cut off for the day of the emergency (45).
    expect(report.verifiers.map((v) => [v.name, v.lag])).toEqual([
      ["authorizer-1", "steady"],
      ["edge-1", "cold"],
      ["authorizer-2", "cut-off"],
    ]);
    const cutOff = report.verifiers[2]!.away!;
    expect(Date.parse(cutOff.until) - Date.parse(cutOff.from)).toBe(86_400_000);
    const frozen = report.verifiers[1]!.away!;
    expect(Date.parse(frozen.until) - Date.parse(frozen.from)).toBe(6 * 3_600_000);
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

  it("with KEYWARD_SIGNING_KEYS=kms makes its keys in KMS (moto), migrating from an HS256 secret, and refuses a setting KMS cannot hold", async () => {
    const kms = {
      ...motoEnvironment(inject("services").motoUrl),
      KEYWARD_ALGORITHM: "ES256",
      KEYWARD_SIGNING_KEYS: "kms",
      KEYWARD_ROTATION_PERIOD_DAYS: "20",
    };
    const args = ["simulate", "--days", "45", "--users", "2", "--emergency-day", "30"];
    const run = await local.keyward([...args, "--migrate-from", "HS256", "--json"], kms);
    expect(run).toMatchObject({ code: 0 });
    const report = JSON.parse(run.stdout) as {
      rotations: { trigger: string; forcedRelogins: number }[];
      totals: { gracefulForcedRelogins: number; refusedValidTokens: number };
    };
    expect(report.rotations.map((r) => r.trigger)).toEqual(["scheduled", "emergency"]);
    expect(report.totals).toMatchObject({ gracefulForcedRelogins: 0, refusedValidTokens: 0 });
    const eddsa = await local.keyward(args, { ...kms, KEYWARD_ALGORITHM: "EdDSA" });
    expect(eddsa.code).toBe(1);
    expect(eddsa.stderr).toContain("KEYWARD_SIGNING_KEYS=kms holds ES256 or RS256 keys");
    const bad = await local.keyward([...args, "--migrate-from", "A256GCM"], kms);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--migrate-from takes HS256, ES256, EdDSA or RS256");
  }, 120_000);
});
