import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { deadline, withinBudget } from "../../../../shared/kernel/clock.ts";

describe("withinBudget", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("settles with the work when it answers in time, and leaves no timer behind", async () => {
    const answer = withinBudget(Promise.resolve("rules"), 100, () => "late");
    await expect(answer).resolves.toBe("rules");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("settles with what `expired` returns, or rejects with what it throws, once the budget is spent", async () => {
    const never = new Promise<string>(() => {});
    const late = withinBudget(never, 100, () => "late");
    const failed = withinBudget(never, 100, () => {
      throw new Error("no answer within 100 ms");
    });
    failed.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(99);
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await expect(late).resolves.toBe("late");
    await expect(failed).rejects.toThrow("no answer within 100 ms");
  });

  it("shares one budget between the races of a deadline (a retry inside the same budget)", async () => {
    const limit = deadline(100);
    await vi.advanceTimersByTimeAsync(60);
    const second = limit.race(new Promise(() => {}), () => "spent");
    await vi.advanceTimersByTimeAsync(40);
    await expect(second).resolves.toBe("spent");
    limit.clear();
  });
});
