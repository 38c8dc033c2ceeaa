import { describe, expect, it } from "vitest";
import { type EventPublisher, MemoryEventPublisher } from "../../../../shared/events/events.ts";
import { withEventMetrics } from "../../../../shared/events/metrics.ts";

describe("withEventMetrics", () => {
  it("counts each event by type, and revoked items, in an EMF line, then publishes", async () => {
    const inner = new MemoryEventPublisher();
    const lines: string[] = [];
    const events = withEventMetrics(inner, (line) => lines.push(line), "ops-api");
    await events.publish([
      { type: "TokensRevoked", at: "2026-01-01T00:00:00.000Z", detail: { items: 250 } },
      { type: "RotationFailed", at: "2026-01-01T00:00:01.000Z", detail: { reason: "x" } },
    ]);
    expect(inner.published.map((e) => e.type)).toEqual(["TokensRevoked", "RotationFailed"]);
    const [revoked, failed] = lines.map((line) => JSON.parse(line));
    expect(revoked).toMatchObject({
      _aws: {
        Timestamp: Date.parse("2026-01-01T00:00:00.000Z"),
        CloudWatchMetrics: [
          {
            Namespace: "keyward",
            Dimensions: [["Type"], ["Function", "Type"]],
            Metrics: [
              { Name: "Events", Unit: "Count" },
              { Name: "Revocations", Unit: "Count" },
            ],
          },
        ],
      },
      Type: "TokensRevoked",
      Function: "ops-api",
      Events: 1,
      Revocations: 250,
    });
    expect(failed).toMatchObject({ Type: "RotationFailed", Events: 1, Revocations: 0 });
  });

  it("counts an event even when publishing it fails", async () => {
    // Fault injected: the memory publisher never fails.
    const down: EventPublisher = {
      publish: async () => {
        throw new Error("EventBridge down");
      },
    };
    const lines: string[] = [];
    const events = withEventMetrics(down, (line) => lines.push(line), "rotation");
    await expect(
      events.publish([{ type: "RotationFailed", at: "2026-01-01T00:00:00.000Z", detail: {} }]),
    ).rejects.toThrow("EventBridge down");
    expect(lines).toHaveLength(1);
  });
});
