import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { StoreUnavailable } from "../kernel/errors.ts";
import type { EventPublisher, KeywardEvent } from "./events.ts";

/** keyward's events on an EventBridge bus: source `keyward`, detail-type = the event type. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly KeywardEvent[]): Promise<void> {
    // PutEvents takes at most 10 entries per call.
    for (let i = 0; i < events.length; i += 10) {
      const answer = await this.client.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + 10).map((event) => ({
            EventBusName: this.busName,
            Source: "keyward",
            DetailType: event.type,
            Time: new Date(event.at),
            Detail: JSON.stringify({ ...event.detail, at: event.at }),
          })),
        }),
      );
      if ((answer.FailedEntryCount ?? 0) > 0) {
        throw new StoreUnavailable(
          `EventBridge refused ${answer.FailedEntryCount} of ${events.length} events`,
        );
      }
    }
  }
}
