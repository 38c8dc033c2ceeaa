import { describe, expect, it } from "vitest";
import type { ForcedActivationResponse } from "../../../functions/ops-api/wire.ts";
import { useLocalStack } from "../../support/cli.ts";
import { movableClock } from "../../support/clocks.ts";

// A 1 s keyring cache and no margin: a pending key may sign 1 s after it is published. The
// stack's time is the test's, and its scheduler never ticks by itself.
const clock = movableClock();
const local = useLocalStack({
  policy: { keyringCacheTtlMs: 1000, prePublicationMarginMs: 0 },
  clock,
});

const pendingKid = async () =>
  JSON.parse((await local.keyward(["rotate", "--reason", "quarterly", "--yes", "--json"])).stdout)
    .kid as string;

describe("keyward activate --force", () => {
  it("does nothing without --force, and says why", async () => {
    const run = await local.keyward(["activate", "some-kid", "--reason", "r", "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--force goes ahead without that evidence");
  });

  it("refuses a key whose pre-publication period is not over, saying from when it may sign", async () => {
    const kid = await pendingKid();
    const run = await local.keyward(["activate", kid, "--force", "--reason", "early", "--yes"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("activation_not_due");
    expect(run.stderr).toContain(`key ${kid} may sign from`);
    expect((await local.keyward(["status"])).stdout).toMatch(new RegExp(`pending\\s+${kid}`));
  });

  it("activates a pending key past its pre-publication period, journaled as the operator's forced activation", async () => {
    const status = (await local.keyward(["status", "--json"])).stdout;
    const kid = (JSON.parse(status).keys as { kid: string; status: string }[]).find(
      (k) => k.status === "pending",
    )!.kid;
    clock.advance(1100);
    const run = await local.keyward([
      "activate",
      kid,
      "--force",
      "--reason",
      "old region decommissioned",
      "--yes",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout) as ForcedActivationResponse).toMatchObject({
      kid,
      step: "activate",
    });
    expect((await local.keyward(["status"])).stdout).toMatch(new RegExp(`current\\s+${kid}`));
    const journal = (await local.keyward(["audit", "--json"])).stdout;
    expect(JSON.parse(journal).entries[0]).toMatchObject({
      actor: "local",
      action: "activate.forced",
      target: kid,
      reason: "old region decommissioned",
      result: "ok",
    });
    // A token signed with the forced key verifies at the local stack's verifier.
    expect((await local.whoami(await local.mint("after-force"))).status).toBe(200);
  });
});
