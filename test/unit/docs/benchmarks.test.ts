import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BENCHMARKS_PAGE,
  figuresShown,
  figuresTable,
  parseBenchRun,
  withFigures,
} from "../../../scripts/docs/benchmarks.ts";

const BENCH = new URL("../../bench/", import.meta.url).pathname;

/** Every figure name a benchmark can report: its literals, `${…}` standing for one word. */
function measurable(): RegExp[] {
  const sources = readdirSync(BENCH)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => readFileSync(join(BENCH, file), "utf8"));
  return sources.flatMap((source) =>
    [...source.matchAll(/["`]((?:[a-z0-9_.]|\$\{[^}]+\})+)["`]/g)]
      .filter((m) => (m[1] as string).includes("."))
      .map(
        (m) =>
          new RegExp(
            `^${(m[1] as string)
              .split(/\$\{[^}]+\}/)
              .map((part) => part.replace(/\./g, "\\."))
              .join("[a-z0-9_]+")}$`,
          ),
      ),
  );
}

describe("docs/benchmarks.md", () => {
  const page = readFileSync(BENCHMARKS_PAGE, "utf8");

  it("shows figures, each one a benchmark measures", () => {
    const shown = figuresShown(page);
    expect(shown.length).toBeGreaterThan(20);
    const known = measurable();
    expect(shown.filter((name) => !known.some((pattern) => pattern.test(name)))).toEqual([]);
  });

  it("is written from a run's JSON lines as they are", () => {
    const run = parseBenchRun(
      [
        '{"name":"revocation.check.p50","value":2.3,"unit":"ms","baseline":2.2,"ratio":1.045,"baseline_name":"bare mget","target":"ratio <= 1.1"}',
        '{"suite":"edge","error":"workerd did not start"}',
      ].join("\n"),
    );
    const table = figuresTable(run);
    expect(table).toContain(
      "| `revocation.check.p50` | 2.3 ms | bare mget: 2.2 | 1.05 | ratio <= 1.1 |",
    );
    expect(table).toContain("Not measured in this run: edge.");
    expect(figuresShown(withFigures(page, table))).toEqual(["revocation.check.p50"]);
  });
});
