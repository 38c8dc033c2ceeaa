import { randomUUID } from "node:crypto";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, inject, it } from "vitest";
import { MemoryAuditJournal } from "../../../../shared/audit/memory.ts";
import { DAY } from "../../../../shared/clock.ts";
import { EventBridgePublisher } from "../../../../shared/events-eventbridge.ts";
import { prePublicationMs, resolvePolicy } from "../../../../shared/keyring/policy.ts";
import { SecretsManagerKeyringStore } from "../../../../shared/keyring-store/secrets-manager.ts";
import { noUsage, tick } from "../../../../shared/operations/tick.ts";
import { MemoryRevocationStore } from "../../../../shared/revocation/memory.ts";
import { secretsManagerClient } from "../../../support/aws.ts";
import { seededRandom, T0 } from "../../../support/deterministic.ts";
import { newKeyring } from "../../../support/keyrings.ts";

const aws = () => ({
  endpoint: inject("services").motoUrl,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

/** keyward's bus with a rule forwarding every keyward event to a queue the test reads. */
async function busWithQueue() {
  const events = new EventBridgeClient(aws());
  const sqs = new SQSClient(aws());
  const bus = `keyward-${randomUUID()}`;
  await events.send(new CreateEventBusCommand({ Name: bus }));
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `events-${randomUUID()}` })))
    .QueueUrl!;
  const queueArn = (
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    )
  ).Attributes!.QueueArn!;
  await events.send(
    new PutRuleCommand({
      Name: "all-keyward",
      EventBusName: bus,
      EventPattern: JSON.stringify({ source: ["keyward"] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: "all-keyward",
      EventBusName: bus,
      Targets: [{ Id: "queue", Arn: queueArn }],
    }),
  );
  const received = async (count: number) => {
    const out: { "detail-type": string; source: string; detail: Record<string, unknown> }[] = [];
    for (let attempt = 0; attempt < 10 && out.length < count; attempt++) {
      const answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of answer.Messages ?? []) out.push(JSON.parse(message.Body!));
    }
    return out;
  };
  return { publisher: new EventBridgePublisher(events, bus), received };
}

describe("events on EventBridge (moto), read back through an SQS rule target", () => {
  it("publishes keyward events with source keyward and the event type as detail-type", async () => {
    const { publisher, received } = await busWithQueue();
    await publisher.publish([
      {
        type: "TokensRevoked",
        at: new Date(T0).toISOString(),
        detail: { items: 3, kinds: ["subject"], actor: "alice" },
      },
    ]);
    const [event] = await received(1);
    expect(event).toMatchObject({
      source: "keyward",
      "detail-type": "TokensRevoked",
      detail: { items: 3, kinds: ["subject"], actor: "alice" },
    });
  });

  it("carries a scheduled rotation's events from the rotation tick, the keyring in Secrets Manager", async () => {
    const { publisher, received } = await busWithQueue();
    const clock = { now: () => T0 };
    const timing = { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 5 };
    const policy = resolvePolicy();
    const deps = {
      keyrings: new SecretsManagerKeyringStore({
        client: secretsManagerClient(inject("services").motoUrl),
        prefix: `keyward/${randomUUID()}`,
      }),
      revocations: new MemoryRevocationStore(timing, clock),
      audit: new MemoryAuditJournal(),
      events: publisher,
      clock,
      random: seededRandom("eventbridge"),
      policy,
      timing,
      usage: noUsage,
    };
    await deps.keyrings.save(await newKeyring("HS256", T0));
    expect(await tick(deps, T0 + 90 * DAY - prePublicationMs(policy))).toMatchObject({
      status: "applied",
    });
    expect(await tick(deps, T0 + 90 * DAY)).toMatchObject({ status: "applied" });
    const events = await received(2);
    expect(events.map((e) => e["detail-type"])).toEqual(["KeyCreated", "KeyActivated"]);
    const stored = await deps.keyrings.load();
    expect(events[1]?.detail.kid).toBe(stored!.keys.find((k) => k.status === "current")!.kid);
  });
});
