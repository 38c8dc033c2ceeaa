import { describe, expect, it } from "vitest";
import { consumerLabel, consumerOf } from "../../../../shared/usage/consumer.ts";

describe("consumerOf", () => {
  it("names the authorized party first, then client_id, then the first audience", () => {
    expect(consumerOf({ exp: 1, azp: "checkout", client_id: "x", aud: "api" })).toBe("checkout");
    expect(consumerOf({ exp: 1, client_id: "mobile", aud: "api" })).toBe("mobile");
    expect(consumerOf({ exp: 1, aud: "api" })).toBe("api");
    expect(consumerOf({ exp: 1, aud: ["billing", "api"] })).toBe("billing");
  });

  it("counts a token that names nobody, or names them with something other than text, as (unnamed)", () => {
    expect(consumerOf({ exp: 1 })).toBe("(unnamed)");
    // Claims as a token may send them: validation checks only the registered claims' types.
    const odd = JSON.parse('{"exp":1,"azp":42,"aud":[7]}');
    expect(consumerOf(odd)).toBe("(unnamed)");
  });
});

describe("consumerLabel", () => {
  it("shows only printable text: terminal escapes, tabs and line breaks become ?", () => {
    expect(consumerLabel("mobile\u001b[2J\tapp\n")).toBe("mobile?[2J?app?");
  });

  it("cuts a long name to 64 characters and never gives an empty one", () => {
    expect(consumerLabel("a".repeat(200))).toBe(`${"a".repeat(61)}...`);
    expect(consumerLabel("   ")).toBe("(unnamed)");
  });
});
