import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REFUSAL_REASONS } from "../../../shared/tokens/refusal.ts";
import { AUTH_REFUSALS_BEYOND_TOKEN } from "../../../shared/verification/authenticate.ts";

describe("docs/verification.md", () => {
  const doc = readFileSync(new URL("../../../docs/verification.md", import.meta.url), "utf8");

  const allReasons = { ...REFUSAL_REASONS, ...AUTH_REFUSALS_BEYOND_TOKEN };

  it.each(Object.entries(allReasons))(
    "documents the refusal reason %s as the code does",
    (reason, meaning) => {
      expect(doc).toContain(`| \`${reason}\` | ${meaning} |`);
    },
  );

  it("documents no reason the code does not have", () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| /gm)].map((m) => m[1]);
    const options = [
      "issuer",
      "audience",
      "type",
      "clockToleranceSeconds",
      "maxTokenLength",
      "cacheSize",
    ];
    expect(documented.filter((name) => !options.includes(name!))).toEqual(Object.keys(allReasons));
  });
});
