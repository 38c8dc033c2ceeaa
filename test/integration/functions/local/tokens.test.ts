import { describe, expect, it } from "vitest";
import { issue, useLocalStack } from "../../../support/cli.ts";

const local = useLocalStack();

describe("the local stack's issuing endpoint", () => {
  it("answers deeply nested or oversized claims on /v1/tokens with a JSON error, not a stack trace", async () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}"x"${"}".repeat(depth)}`;
    for (const [claims, status, code] of [
      [nested(50), 400, "invalid_request"],
      [nested(10_000), 400, "invalid_request"],
      [JSON.stringify({ big: "x".repeat(10_000) }), 400, "invalid_request"],
    ] as const) {
      const answer = await issue(local.stack.url, local.dir, `{"sub":"deep","claims":${claims}}`);
      expect(answer.status).toBe(status);
      expect((await answer.json()) as unknown).toMatchObject({ error: { code } });
    }
  });
});
