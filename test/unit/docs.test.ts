import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseInvocation } from "../../cli/arguments.ts";
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS } from "../../cli/commands.ts";
import { OPEN_REFUSALS } from "../../shared/sealing/sealer.ts";
import { REFUSAL_REASONS } from "../../shared/tokens/refusal.ts";
import { AUTH_REFUSALS_BEYOND_TOKEN } from "../../shared/verification/authenticate.ts";

describe("docs/verification.md", () => {
  const doc = readFileSync(new URL("../../docs/verification.md", import.meta.url), "utf8");

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

describe("docs/sealing.md", () => {
  const doc = readFileSync(new URL("../../docs/sealing.md", import.meta.url), "utf8");
  const table = doc.slice(doc.indexOf("| result | when |"));
  const documented = [
    ...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|/gm),
  ].flatMap((m) => [m[1], m[2]].filter((reason) => reason !== undefined));

  it("documents every reason an envelope does not open, and no other", () => {
    expect(documented.sort()).toEqual(Object.keys(OPEN_REFUSALS).sort());
  });
});

describe("README: the keyward CLI", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const table = readme.slice(readme.indexOf("| command | does |"));
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
    const spec = COMMANDS[name] as CommandSpec;
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
      expect(() => parseInvocation(words), call).not.toThrow();
    }
  });
});
