import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** docs/benchmarks.md: the table between these markers is written from a run's JSON lines. */
export const BENCHMARKS_PAGE = fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));
const START =
  "<!-- figures: written by `npm run docs -- --bench FILE` from `npm run bench -- --json` -->";
const END = "<!-- end of figures -->";

/** One line of `npm run bench -- --json` (test/bench/harness.ts, `printFigures`). */
export interface BenchLine {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly ratio: number;
  readonly baseline_name: string;
  readonly target: string;
}

const number = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** The figures of a run (a suite that failed is named as not measured). */
export function parseBenchRun(text: string): { figures: BenchLine[]; failed: string[] } {
  const figures: BenchLine[] = [];
  const failed: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const parsed = JSON.parse(line) as BenchLine | { suite: string; error: string };
    if ("suite" in parsed) failed.push(parsed.suite);
    else figures.push(parsed);
  }
  return { figures, failed };
}

export function figuresTable(run: { figures: readonly BenchLine[]; failed: readonly string[] }) {
  const rows = run.figures.map(
    (f) =>
      `| \`${f.name}\` | ${number(f.value)} ${f.unit} | ${f.baseline_name}: ${number(f.baseline)} | ${number(f.ratio)} | ${f.target} |`,
  );
  return [
    START,
    "",
    "| figure | keyward | baseline, same run | ratio | target |",
    "|---|---|---|---|---|",
    ...rows,
    ...(run.failed.length === 0 ? [] : ["", `Not measured in this run: ${run.failed.join(", ")}.`]),
    "",
    END,
  ].join("\n");
}

/** The page with its generated part replaced by `table`. */
export function withFigures(page: string, table: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${BENCHMARKS_PAGE} has lost its figure markers`);
  return page.slice(0, start) + table + page.slice(end + END.length);
}

/** The figure names the page shows. */
export function figuresShown(page: string): string[] {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  return [...page.slice(start, end).matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

export async function writeBenchmarksPage(runFile: string): Promise<void> {
  const run = parseBenchRun(await readFile(runFile, "utf8"));
  const page = await readFile(BENCHMARKS_PAGE, "utf8");
  await writeFile(BENCHMARKS_PAGE, withFigures(page, figuresTable(run)));
}
