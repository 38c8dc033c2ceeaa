import { describe, expect, it } from "vitest";
import type { VerifiersResponse } from "../../../functions/ops-api/wire.ts";
import { useLocalStack } from "../../support/cli.ts";

const local = useLocalStack();

describe("keyward verifiers", () => {
  it("lists the local stack's verifiers once they have reported, with the keys each holds", async () => {
    const before = await local.keyward(["verifiers"]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/no verifier reported in the last 5 minutes/);
    await local.stack.tick();
    const run = await local.keyward(["verifiers", "--json"]);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as VerifiersResponse;
    expect(body.windowSeconds).toBe(300);
    expect(body.verifiers.map((v) => [v.kind, v.keyring])).toEqual([
      ["local", "signing"],
      ["sessions", "sessions"],
    ]);
    const signing = body.verifiers[0]!;
    expect(signing.keys).toEqual([{ kid: expect.any(String), status: "current" }]);
    const text = (await local.keyward(["verifiers"])).stdout;
    expect(text).toMatch(/^local local \S{16} {2}\S+ {2}signing revision \d+: \S+ \(current\)/m);
  });

  it("says how many live verifiers hold a pending key, and which do not yet, here and in status", async () => {
    const rotated = await local.keyward(["rotate", "--reason", "receipts", "--yes"]);
    expect(rotated.code).toBe(0);
    await local.stack.tick();
    const body = JSON.parse(
      (await local.keyward(["verifiers", "--json"])).stdout,
    ) as VerifiersResponse;
    const [pending] = body.pending;
    expect(pending).toMatchObject({ keyring: "signing", live: 1 });
    expect(pending!.held + pending!.laggards.length).toBe(1);
    const reach = new RegExp(
      `^pending ${pending!.kid} \\(signing\\): held by ${pending!.held} of 1 live verifiers`,
      "m",
    );
    expect((await local.keyward(["verifiers"])).stdout).toMatch(reach);
    expect((await local.keyward(["status"])).stdout).toMatch(reach);
  });

  it("answers a caller without a credential 401, and never lists one", async () => {
    const answer = await fetch(`${local.stack.url}/v1/verifiers`);
    expect(answer.status).toBe(401);
  });
});
