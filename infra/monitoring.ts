import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { Rule } from "aws-cdk-lib/aws-events";
import { SnsTopic } from "aws-cdk-lib/aws-events-targets";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC_NAMESPACE } from "../shared/observability/metrics.ts";

export interface KeywardMonitoringProps {
  readonly topic: ITopic;
  readonly bus: IEventBus;
  readonly rotation: IFunction;
  readonly deadLetters: IQueue;
  /** The share of requests the authorizer usually refuses, in percent; the alarm fires at twice it. */
  readonly usualRefusalPercent: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/** An EMF metric of keyward's namespace. */
function keywardMetric(
  name: string,
  dimensions: Record<string, string>,
  statistic = "Sum",
  period = FIVE_MINUTES,
): Metric {
  return new Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: dimensions,
    statistic,
    period,
  });
}

const authorizer = { Function: "authorizer" };

/**
 * The alarms of docs/operating.md (each names the runbook step that answers it), all to one SNS
 * topic, and the dashboard: verifications by key status, refusals by reason, revocations,
 * rotation events, store latency.
 */
export class KeywardMonitoring extends Construct {
  readonly alarms: Record<
    | "previousKeyLingering"
    | "refusalsAboveUsual"
    | "rotationFailed"
    | "staleSigner"
    | "propagationIncomplete"
    | "revocationLagExceeded"
    | "authorizerRevocationLag"
    | "rotationErrors"
    | "staleKeyring"
    | "revocationStoreFailures"
    | "upstashEvicts",
    Alarm
  >;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: KeywardMonitoringProps) {
    super(scope, id);
    // An alarm on one of keyward's events: it fires on the first one.
    const eventAlarm = (
      type: "RotationFailed" | "StaleSigner" | "PropagationIncomplete" | "RevocationLagExceeded",
      alarmDescription: string,
    ) =>
      new Alarm(this, type, {
        alarmDescription,
        metric: keywardMetric("Events", { Type: type }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    const requests = keywardMetric("Requests", authorizer);
    const refused = keywardMetric("Requests", { ...authorizer, Outcome: "deny" });
    const refusalPercent = new MathExpression({
      expression: "IF(requests >= 100, 100 * FILL(refused, 0) / requests, 0)",
      usingMetrics: { requests, refused },
      label: "refused, % of requests (0 below 100 requests)",
      period: FIVE_MINUTES,
    });

    this.alarms = {
      previousKeyLingering: new Alarm(this, "PreviousKeyLingering", {
        alarmDescription:
          "A previous key still signs more than 10 % of verified tokens after its minimum grace (7 days): clients or services hold on to old tokens. Runbook: find them (GET /v1/keys shows the share per key) before the maximum grace retires the key.",
        metric: keywardMetric(
          "PreviousKeyShareAfterMinGrace",
          { Function: "rotation" },
          "Maximum",
          Duration.hours(1),
        ),
        threshold: 10,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      refusalsAboveUsual: new Alarm(this, "RefusalsAboveUsual", {
        alarmDescription: `The authorizer refuses more than twice its usual share of requests (usual: ${props.usualRefusalPercent} %), for 15 minutes. Runbook: the dashboard's refusals by reason tell a rotation problem (key_retired, unknown_kid), an attack (signature_invalid, malformed) or an outage (store_unavailable, keyring_unavailable).`,
        metric: refusalPercent,
        threshold: 2 * props.usualRefusalPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      rotationFailed: eventAlarm(
        "RotationFailed",
        "keyward published RotationFailed: a tick found the keyring unreadable, or a self-test failed (a scheduled activation was rolled back, or an emergency rotation's old key still verifies). Runbook: keyward journal / keyward audit, then the rotation function's logs.",
      ),
      staleSigner: eventAlarm(
        "StaleSigner",
        "keyward published StaleSigner: a login service still signs with a key that stopped signing (or with the imported secret, outside keyward), so the rotation holds that key's retirement (or the first activation). Runbook: keyward status names the key; restart or fix the login service so it signs through keyward/issuer or the issuing endpoint.",
      ),
      propagationIncomplete: eventAlarm(
        "PropagationIncomplete",
        "keyward published PropagationIncomplete: a pending key could sign, but some live verifier has not said it holds it (or their receipts could not be read) for longer than the maximum wait, so the rotation holds it. Runbook: keyward verifiers names the laggards (kind, region, revision, last seen); restart or fix them, or keyward activate KID --force --reason R to go ahead without them.",
      ),
      revocationLagExceeded: eventAlarm(
        "RevocationLagExceeded",
        "keyward published RevocationLagExceeded: a live verifier (authorizer, edge isolate, sessions service) said in its receipt that it applied revocations later than the 1 s promise (p99 of its last minute). Runbook: keyward verifiers shows each one's lag; check its KEYWARD_REVOCATION_FRESHNESS_MS and its clock (the lag is measured against Redis's).",
      ),
      authorizerRevocationLag: new Alarm(this, "AuthorizerRevocationLag", {
        alarmDescription:
          "An authorizer container applied revocations later than the 1 s promise (p99 of a minute, the worst container): a revocation answered 2xx was not enforced there in time. Runbook: keyward verifiers shows each container's lag; check KEYWARD_REVOCATION_FRESHNESS_MS and Upstash latency.",
        metric: keywardMetric("RevocationLagP99", authorizer, "Maximum"),
        threshold: 1000,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      rotationErrors: new Alarm(this, "RotationErrors", {
        alarmDescription:
          "The rotation function crashed or timed out, or a scheduled run ended in the dead-letter queue. Runbook: the function's logs; a tick is safe to re-run (invoke it by hand).",
        metric: new MathExpression({
          expression: "FILL(errors, 0) + FILL(deadLetters, 0)",
          usingMetrics: {
            errors: props.rotation.metricErrors({ period: Duration.hours(1) }),
            deadLetters: props.deadLetters.metricApproximateNumberOfMessagesVisible({
              period: Duration.hours(1),
              statistic: "Maximum",
            }),
          },
          period: Duration.hours(1),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      staleKeyring: new Alarm(this, "StaleKeyring", {
        alarmDescription:
          "Authorizers serve a keyring older than its TTL because Secrets Manager failed or returned an invalid keyring; after 15 minutes they refuse everything. Runbook: the authorizer's logs (keyring errors), Secrets Manager's health, keyward status.",
        metric: keywardMetric("StaleKeyring", authorizer),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      revocationStoreFailures: new Alarm(this, "RevocationStoreFailures", {
        alarmDescription:
          "Upstash did not answer within the authorizer's budget: requests are refused (failure mode closed) or allowed unchecked (open). Runbook: Upstash status and the credentials secret; consider the failure mode.",
        metric: keywardMetric("RevocationStoreUnavailable", authorizer),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      upstashEvicts: new Alarm(this, "UpstashEvicts", {
        alarmDescription:
          'The Upstash database answered a maxmemory-policy other than noeviction: under memory pressure it drops keys, revocations among them, without a word. Runbook: Upstash console, database, Configuration: turn Eviction off; if keys may already be gone, docs/deploying.md "Upstash": revoke --all or rotate --immediate.',
        metric: keywardMetric(
          "UpstashEvicts",
          { Function: "rotation" },
          "Maximum",
          Duration.hours(1),
        ),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    };
    const action = new SnsAction(props.topic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    // The event itself, with its reason, reaches the topic too (the alarm only counts).
    // An event the topic refuses (throttled, a policy changed) waits in the dead-letter queue.
    new Rule(this, "RotationFailedToTopic", {
      description:
        "keyward: forward RotationFailed, StaleSigner, PropagationIncomplete and RevocationLagExceeded events to the alarm topic",
      eventBus: props.bus,
      eventPattern: {
        source: ["keyward"],
        detailType: [
          "RotationFailed",
          "StaleSigner",
          "PropagationIncomplete",
          "RevocationLagExceeded",
        ],
      },
      targets: [new SnsTopic(props.topic, { deadLetterQueue: props.deadLetters })],
    });

    this.dashboard = new Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(1),
    });
    const search = (schema: string, terms: string, statistic: string, period = 300) =>
      new MathExpression({
        expression: `SEARCH('{${METRIC_NAMESPACE},${schema}} ${terms}', '${statistic}', ${period})`,
        usingMetrics: {},
        label: "",
        period: Duration.seconds(period),
      });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Verifications by key status",
        left: ["current", "previous", "pending"].map((status) =>
          keywardMetric("Requests", { ...authorizer, KeyStatus: status }).with({ label: status }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: "Refusals by reason",
        left: [
          search(
            "Function,Reason",
            'MetricName="Requests" AND Function="authorizer" AND NOT Reason="none" AND NOT Reason="allowed_unchecked"',
            "Sum",
          ),
        ],
        right: [refusalPercent],
        width: 12,
      }),
      new GraphWidget({
        title: "Revocations",
        left: [
          keywardMetric("Revocations", { Type: "TokensRevoked" }).with({
            label: "revoked (ops API)",
          }),
          keywardMetric("Requests", { ...authorizer, Reason: "revoked" }).with({
            label: "revoked tokens presented",
          }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: "Rotation events",
        left: [search("Type", 'MetricName="Events"', "Sum", 3600)],
        right: [
          keywardMetric(
            "PreviousKeyShareAfterMinGrace",
            { Function: "rotation" },
            "Maximum",
            Duration.hours(1),
          ).with({
            label: "previous key share past its minimum grace, %",
          }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: "Store latency (ms) and keyring age (s)",
        left: ["p50", "p99"].map((statistic) =>
          keywardMetric("RevocationLatency", authorizer, statistic).with({
            label: `revocation check ${statistic}`,
          }),
        ),
        right: [
          keywardMetric("KeyringAge", authorizer, "Maximum").with({ label: "keyring age, max" }),
        ],
        width: 12,
      }),
      new AlarmStatusWidget({
        title: "keyward alarms",
        alarms: Object.values(this.alarms),
        width: 12,
      }),
    );
  }
}
