/**
 * keyward's events, published on every key operation and revocation (EventBridge in AWS). The
 * detail never holds a token or key material: kids, counts, reasons, who.
 */
export const EVENT_TYPES = [
  "KeyCreated",
  "KeyActivated",
  "KeyRetired",
  "KeyDestroyed",
  "KeyReinstated",
  "KeyImported",
  "KeyRolledBack",
  "EmergencyRotation",
  "RotationFailed",
  "TokensRevoked",
  "StaleSigner",
  "PropagationIncomplete",
  "RevocationLagExceeded",
  "RefreshTokenReused",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface KeywardEvent {
  readonly type: EventType;
  readonly at: string;
  readonly detail: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface EventPublisher {
  publish(events: readonly KeywardEvent[]): Promise<void>;
}

/** Events kept in memory (the local stack, tests); the newest last. */
export class MemoryEventPublisher implements EventPublisher {
  readonly published: KeywardEvent[] = [];

  async publish(events: readonly KeywardEvent[]): Promise<void> {
    this.published.push(...events);
    if (this.published.length > 10_000) this.published.splice(0, this.published.length - 10_000);
  }
}
