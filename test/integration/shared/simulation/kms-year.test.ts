import { describe, expect, inject, it } from "vitest";
import { HOUR } from "../../../../shared/kernel/clock.ts";
import { resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { kmsCustody, signingKeyTags } from "../../../../shared/keyring-store/kms-custody.ts";
import { kmsFromEnvironment } from "../../../../shared/keyring-store/kms-keys.ts";
import { simulate } from "../../../../shared/simulation/simulate.ts";
import { motoEnvironment } from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";

describe("a simulated year on keys held in KMS (moto)", () => {
  it("a keyring that starts on a local HS256 secret moves to KMS keys by a graceful rotation; no valid token is refused, and the emergency refuses every earlier token", async () => {
    const kms = kmsFromEnvironment(motoEnvironment(inject("services").motoUrl));
    const random = seededRandom("kms-year");
    const created: string[] = [];
    const custody = kmsCustody({
      kms: {
        create: async (description, tags) => {
          const arn = await kms.create(description, tags);
          created.push(arn);
          return arn;
        },
        publicJwk: (arn, kid) => kms.publicJwk(arn, kid),
        state: (arn) => kms.state(arn),
        disable: (arn) => kms.disable(arn),
        enable: (arn) => kms.enable(arn),
        scheduleDeletion: (arn) => kms.scheduleDeletion(arn),
      },
      random,
      tags: signingKeyTags("keyward/kms-year"),
      schedulesDeletion: true,
    });
    const report = await simulate({
      policy: resolvePolicy({ algorithm: "ES256" }),
      days: 365,
      users: 4,
      requestEveryMs: 3 * HOUR,
      emergencyDay: 200,
      rollbackDay: 295,
      startMs: T0,
      random,
      custody,
      kms,
      firstKey: "HS256",
    });
    expect(report.rotations.map((r) => [r.trigger, r.day])).toEqual([
      ["scheduled", 91],
      ["scheduled", 181],
      ["emergency", 200],
      ["scheduled", 290],
      ["rollback", 295],
    ]);
    expect(report.totals).toMatchObject({
      refusedValidTokens: 0,
      gracefulForcedRelogins: 0,
      refusedNewLogins: 0,
    });
    expect(report.rotations[2]).toMatchObject({ oldKeyTokensWorkedForSeconds: 0 });
    expect(report.drills).toEqual({
      emergency: { day: 200, ok: true },
      rollback: { day: 295, ok: true },
    });
    // Every key after the HS256 secret was made in KMS, and none is left enabled after the run.
    expect(created.length).toBe(4);
    for (const arn of created) expect(await kms.state(arn)).toBe("PendingDeletion");
  }, 240_000);
});
