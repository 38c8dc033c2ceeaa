import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { bufferedLines } from "../../../../functions/local/buffered-lines.ts";

describe("bufferedLines", () => {
  it("writes the lines of one turn together, in order, at the end of the turn", async () => {
    const writes: string[] = [];
    const out = bufferedLines((chunk) => writes.push(chunk));
    out.line("a");
    out.line("b");
    expect(writes).toEqual([]);
    await nextTurn();
    out.line("c");
    await nextTurn();
    expect(writes).toEqual(["a\nb\n", "c\n"]);
  });

  it("writes what is pending at once on flush, and nothing twice", async () => {
    const writes: string[] = [];
    const out = bufferedLines((chunk) => writes.push(chunk));
    out.line("last words");
    out.flush();
    expect(writes).toEqual(["last words\n"]);
    await nextTurn();
    out.flush();
    expect(writes).toEqual(["last words\n"]);
  });
});
