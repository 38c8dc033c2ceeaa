import { describe, expect, it } from "vitest";
import type { ImpactResponse } from "../../../functions/ops-api/wire.ts";
import { issue, useLocalStack } from "../../support/cli.ts";
import { movableClock } from "../../support/clocks.ts";

// A 1 s keyring cache and no margin: a pending key may sign 1 s after it is published. The
// stack's time is the test's, and its scheduler never ticks by itself.
const clock = movableClock();
const local = useLocalStack({
  policy: { keyringCacheTtlMs: 1000, prePublicationMarginMs: 0 },
  clock,
});

/** A login through the stack's issuing endpoint, as its client, with the claims given. */
const login = async (body: Record<string, unknown>) => {
  const answer = await issue(local.stack.url, local.dir, JSON.stringify(body));
  expect(answer.status).toBe(201);
  return ((await answer.json()) as { token: string; kid: string }).token;
};

describe("keyward plan --impact", () => {
  it("says, for the key the plan retires, who would be refused if it retired now: the last day's verifications by consumer and verifier", async () => {
    // Three requests of a client that names itself (azp), two of the issuing client (its name,
    // stamped by the endpoint), and one whose azp carries a terminal escape.
    const checkout = await login({ sub: "u1", claims: { azp: "checkout" } });
    const own = await login({ sub: "u2" });
    const forged = await login({ sub: "u3", claims: { azp: "evil\u001b[2Jname" } });
    for (const token of [checkout, checkout, checkout, own, own, forged])
      expect((await local.whoami(token)).status).toBe(200);
    const oldKid = JSON.parse((await local.keyward(["status", "--json"])).stdout).keys[0]
      .kid as string;
    expect((await local.keyward(["rotate", "--reason", "quarterly", "--yes"])).code).toBe(0);
    clock.advance(1100);
    await local.stack.tick();
    expect((await local.keyward(["status"])).stdout).toMatch(new RegExp(`previous\\s+${oldKid}`));

    const run = await local.keyward(["plan", "--impact"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/retire\s+\S{22}/);
    expect(run.stdout).toContain(
      `${oldKid} (previous): retiring it now would refuse tokens of 6 verifications of the last day (100 % of the keyring's)`,
    );
    expect(run.stdout).toMatch(/^ {2}checkout\s+local\s+3$/m);
    expect(run.stdout).toMatch(/^ {2}local\s+local\s+2$/m);
    expect(run.stdout).toMatch(/^ {2}evil\?\[2Jname\s+local\s+1$/m);
    expect(run.stdout).not.toContain("\u001b");

    const json = JSON.parse((await local.keyward(["plan", "--impact", "--json"])).stdout) as {
      impact: ImpactResponse[];
    };
    // The key that signs now retires within the year too, after the next rotation.
    expect(json.impact.map((i) => i.kid)).toEqual([oldKid, expect.any(String)]);
    expect(json.impact[0]).toEqual(
      expect.objectContaining({
        kid: oldKid,
        status: "previous",
        verifications: 6,
        share: 1,
        next: expect.objectContaining({ action: "retire" }),
        consumers: [
          { consumer: "checkout", verifier: "local", verifications: 3 },
          { consumer: "local", verifier: "local", verifications: 2 },
          { consumer: "evil?[2Jname", verifier: "local", verifications: 1 },
        ],
      }),
    );
  });

  it("answers for the key --kid names, and refuses --kid without --impact or a kid no keyring holds", async () => {
    const current = JSON.parse((await local.keyward(["status", "--json"])).stdout).keys.find(
      (k: { status: string }) => k.status === "current",
    ).kid as string;
    const run = await local.keyward(["plan", "--impact", "--kid", current]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${current} (current): no verification in the last day`);
    expect((await local.keyward(["plan", "--kid", current])).stderr).toContain(
      "--kid goes with --impact",
    );
    const missing = await local.keyward(["plan", "--impact", "--kid", "A".repeat(22)]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("key_not_found");
  });
});
