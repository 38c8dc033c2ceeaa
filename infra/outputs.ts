import { CfnOutput, type Stack } from "aws-cdk-lib";
import type { Keyward } from "./keyward.ts";

/**
 * What an operator needs after a deploy, as stack outputs (docs/deploying.md reads them with
 * `out <Name>`): where each endpoint is, each secret to fill, and what the alarms and the
 * dead-letter queue are.
 */
export function keywardOutputs(stack: Stack, keyward: Keyward): void {
  const outputs: Record<string, readonly [string, string] | undefined> = {
    OpsApiUrl: [
      "KEYWARD_URL for the keyward CLI (IAM auth on the function URL)",
      keyward.opsApiUrl.url,
    ],
    IssuingUrl: [
      "POST /v1/tokens for login services (IAM auth, and a client credential in X-Keyward-Credential)",
      keyward.issuingUrl.url,
    ],
    SampleRoute:
      keyward.sampleApi === undefined
        ? undefined
        : ["GET with Authorization: Bearer <token>", keyward.sampleApi.api.urlForPath("/hello")],
    JwksUrl:
      keyward.jwksUrl === undefined
        ? undefined
        : [
            "public keys for outside verifiers: <JwksUrl>.well-known/jwks.json (no credentials)",
            keyward.jwksUrl.url,
          ],
    AlarmTopic: ["subscribe to receive keyward's alarms", keyward.alarmTopic.topicArn],
    Dashboard: ["keyward's CloudWatch dashboard", keyward.monitoring.dashboard.dashboardName],
    EventBusName: [
      "keyward's events (KeyCreated, EmergencyRotation, …): add your own rules",
      keyward.bus.eventBusName,
    ],
    DeadLetterQueueUrl: [
      "rotation ticks and alarm events that could not be delivered wait here (14 days)",
      keyward.deadLetters.queueUrl,
    ],
    UpstashSecret: [
      'fill with {"url": "https://….upstash.io", "token": "…"}: the writers\' credentials (the database\'s default user)',
      keyward.upstashSecret.secretArn,
    ],
    UpstashIssuerSecret: [
      "fill with the keyward-issuer ACL user's REST credentials (docs/deploying.md, Upstash)",
      keyward.upstashIssuerSecret.secretArn,
    ],
    UpstashReaderSecret: [
      "fill with the keyward-reader ACL user's REST credentials (docs/deploying.md, Upstash)",
      keyward.upstashReaderSecret.secretArn,
    ],
    OperatorsSecret: [
      'fill with [{"name", "role", "tokenSha256"}] (hashes from keyward hash-token)',
      keyward.operatorsSecret.secretArn,
    ],
    IssuingClientsSecret: [
      'fill with [{"name", "tokenSha256", "claims", "audiences", "maxLifetimeSeconds"}]',
      keyward.issuingClientsSecret.secretArn,
    ],
    OpsApiFunctionArn: [
      "operators need lambda:InvokeFunctionUrl and (via the URL) lambda:InvokeFunction on it",
      keyward.opsApi.functionArn,
    ],
    IssuingFunctionArn: [
      "the issuing endpoint's function (invoke permission for callers)",
      keyward.issuing.functionArn,
    ],
    RotationFunctionName: [
      "the rotation function: `aws lambda invoke` it to run a tick now",
      keyward.rotation.functionName,
    ],
    EdgeReaderUser:
      keyward.edgeReader === undefined
        ? undefined
        : [
            "IAM user the edge Worker reads the keyring with: create its access key, put it in the Worker's secrets",
            keyward.edgeReader.userName,
          ],
    AuthorizerArn: [
      "the Lambda authorizer, for APIs defined outside this CDK app",
      keyward.authorizer.functionArn,
    ],
  };
  for (const [id, output] of Object.entries(outputs))
    if (output !== undefined)
      new CfnOutput(stack, id, { description: output[0], value: output[1] });
}
