import { describe, expect, it } from "vitest";
import { parseInvocation } from "../../../cli/arguments.ts";
import { COMMANDS } from "../../../cli/commands/index.ts";

const parse = (argv: readonly string[]) => parseInvocation(argv, COMMANDS);

describe("parseInvocation", () => {
  it("takes a credential or token that begins with a dash as the option's value", () => {
    const credential = "-3vQ_Xw9kR2Lm0pTzYb8cNfHjA1sDgE4uIoPqWeRtYu";
    const invocation = parse([
      "revoke",
      "--jti",
      "-abc",
      "--credential",
      credential,
      "--reason",
      "-- pasted",
    ]);
    expect(invocation.values).toMatchObject({ jti: "-abc", credential, reason: "-- pasted" });
  });

  it("still reads an option followed by another of its options as a missing value", () => {
    expect(() => parse(["revoke", "--credential", "--reason", "r"])).toThrow(
      "--credential needs a value",
    );
    expect(() => parse(["revoke", "--sub", "-y"])).toThrow("--sub needs a value");
  });

  it("refuses an unknown option with the nearest one", () => {
    expect(() => parse(["audit", "--lmit", "5"])).toThrow("did you mean --limit?");
  });
});
