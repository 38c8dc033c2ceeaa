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
import { EventBridgePublisher } from "../../shared/events/eventbridge.ts";
import { motoClientConfig } from "./aws.ts";

/** keyward's bus with a rule forwarding every keyward event to a queue the test reads. */
export async function busWithQueue(motoUrl: string) {
  const events = new EventBridgeClient(motoClientConfig(motoUrl));
  const sqs = new SQSClient(motoClientConfig(motoUrl));
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
  return { bus, publisher: new EventBridgePublisher(events, bus), received };
}
