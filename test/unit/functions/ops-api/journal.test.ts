import { describe, expect, it } from "vitest";
import { opsFixture } from "../../../support/ops.ts";

const reason = "incident 42";

describe("the ops API: the audit journal", () => {
  it("pages the audit journal, newest first", async () => {
    const { call } = await opsFixture();
    for (const sub of ["a", "b", "c"]) await call("POST", "/v1/revocations", { sub, reason });
    const first = await call("GET", "/v1/audit?limit=2");
    expect((first.body.entries as { target: string }[]).map((e) => e.target)).toEqual([
      "sub:c",
      "sub:b",
    ]);
    const second = await call("GET", `/v1/audit?limit=2&before=${first.body.next}`);
    expect((second.body.entries as { target: string }[]).map((e) => e.target)).toEqual(["sub:a"]);
  });
});
