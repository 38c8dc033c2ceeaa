import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseInvocation } from "../../../cli/arguments.ts";
import type { Command } from "../../../cli/command.ts";
import { COMMANDS } from "../../../cli/commands/index.ts";
import { GLOBAL_OPTIONS } from "../../../cli/options.ts";

describe("docs/cli.md and the README's recipes", () => {
  const page = readFileSync(new URL("../../../docs/cli.md", import.meta.url), "utf8");
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const table = page.slice(page.indexOf("| command | does |"));
  const rows = [...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `([^`]+)` \|/gm)].map(
    (m) => m[1] as string,
  );

  it("documents every command the CLI has, and no other", () => {
    // A command may have a row per form (`keys import` for each keyring).
    const documented = [...new Set(rows.map((row) => row.split(" ")[0]))];
    expect(documented.sort()).toEqual(
      Object.keys(COMMANDS)
        .filter((c) => c !== "help")
        .sort(),
    );
  });

  it.each(rows)("documents only options the parser takes: %s", (row) => {
    const name = row.split(" ")[0] as string;
    const spec = COMMANDS[name] as Command;
    for (const option of row.matchAll(/--([a-z-]+)/g))
      expect([...spec.options, ...GLOBAL_OPTIONS]).toContain(option[1]);
  });

  it("has recipes whose keyward commands all parse", () => {
    const calls = [...readme.matchAll(/^\$K (.+?)(?:\s+#.*)?$/gm)].map((m) => m[1] as string);
    expect(calls.length).toBeGreaterThan(10);
    for (const call of calls) {
      // Shell words: quoted strings stay whole; $(...) and $VARS stand for a value.
      const words = [...call.matchAll(/"[^"]*"|\$\([^)]*\)|\S+/g)].map((w) =>
        w[0].replace(/^"|"$/g, ""),
      );
      expect(() => parseInvocation(words, COMMANDS), call).not.toThrow();
    }
  });
});
