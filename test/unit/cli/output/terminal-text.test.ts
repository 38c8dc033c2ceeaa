import { describe, expect, it } from "vitest";
import { oneLine, terminalSafe } from "../../../../cli/output/terminal-text.ts";

describe("terminal text", () => {
  it("shows escape sequences, carriage returns and bidi overrides escaped, never raw", () => {
    const planted = "ok\u001b]0;pwned\u0007\r   1 forged line\u202egnp.exe";
    expect(oneLine(planted)).toBe("ok\\x1b]0;pwned\\x07\\x0d   1 forged line\\u202egnp.exe");
    expect(oneLine("two\nlines")).toBe("two\\x0alines");
  });

  it("keeps the line breaks and tabs of the CLI's own output", () => {
    expect(terminalSafe("a\tb\nc\u001b[31m")).toBe("a\tb\nc\\x1b[31m");
  });
});
