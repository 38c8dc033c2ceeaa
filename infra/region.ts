import { Arn, Duration, Stack, type StackProps, Token } from "aws-cdk-lib";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { EventBus as EventBusTarget } from "aws-cdk-lib/aws-events-targets";
import type { FunctionUrl, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import {
  type AttachOptions,
  httpApiAuthorizer,
  type RestAttachOptions,
  restApiAuthorizer,
} from "./attach.ts";
import { keywardFunction } from "./functions.ts";
import { KeyringGrants } from "./grants.ts";
import type { Keyward } from "./keyward.ts";
import { KmsKeyGrants } from "./kms-grants.ts";
import { acknowledge, REASONS } from "./nag.ts";
import { checkRegion } from "./regions.ts";
import { replicatedName } from "./secrets.ts";

export interface KeywardRegionProps extends StackProps {
  /** The deployment whose keyrings are replicated here (`replicaRegions` lists this region). */
  readonly keyward: Keyward;
  /** Also an issuing endpoint here (`POST /v1/tokens`), for login services in this region. Default false. */
  readonly issuer?: boolean;
}

/**
 * A regional verifier: a stack in one of a deployment's `replicaRegions` with the authorizer (and,
 * when asked, the issuing endpoint), reading the replica of the keyring in its own region and
 * Upstash (global) with the reader's (issuer's) credentials, replicated there too. Keys are made,
 * rotated and destroyed by the main deployment only; the pre-publication margin (60 s by default)
 * covers replication, which takes seconds.
 */
export class KeywardRegion extends Stack {
  readonly authorizer: LambdaFunction;
  readonly issuing?: LambdaFunction;
  readonly issuingUrl?: FunctionUrl;

  constructor(scope: Construct, id: string, props: KeywardRegionProps) {
    super(scope, id, props);
    const { keyward } = props;
    const region = this.region;
    if (Token.isUnresolved(region))
      throw new ConfigInvalid([
        `${id} needs an explicit region (env.region): it runs beside a replica`,
      ]);
    if (!keyward.replicaRegions.includes(region))
      throw new ConfigInvalid([
        `${id} is in ${region}, which is not among the deployment's replicaRegions (${keyward.replicaRegions.join(", ") || "none"}): add it there first, so the keyring is replicated to it`,
      ]);
    if (props.issuer) checkRegion(region, `the issuing endpoint of ${id}`);
    const secret = (name: string) =>
      Secret.fromSecretNameV2(this, name, replicatedName(keyward.secretPrefix, name)) as ISecret;
    const keyrings = new KeyringGrants(this, keyward.secretPrefix, keyward.owner);

    const reader = secret("upstash-reader");
    this.authorizer = keywardFunction(this, "Authorizer", {
      name: "authorizer",
      memorySize: 256,
      environment: {
        ...keyward.verifierEnvironment,
        KEYWARD_UPSTASH_SECRET_ID: replicatedName(keyward.secretPrefix, "upstash-reader"),
      },
    });
    keyrings.grant(this.authorizer, "read");
    reader.grantRead(this.authorizer);

    if (props.issuer) {
      // Events go to a bus of this region, forwarded to the deployment's own bus.
      const bus = new EventBus(this, "Events", { eventBusName: `${this.stackName}-keyward` });
      const home = Stack.of(keyward);
      // Events the home bus refuses wait here (14 days), as the home stack's undelivered ones do.
      const undelivered = new Queue(this, "UndeliveredEvents", {
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
      });
      for (const rule of ["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"])
        acknowledge(undelivered, rule, REASONS.deadLetterQueue);
      new Rule(this, "ToHomeBus", {
        eventBus: bus,
        eventPattern: { source: ["keyward"] },
        targets: [
          new EventBusTarget(
            EventBus.fromEventBusArn(
              this,
              "HomeBus",
              Arn.format(
                {
                  service: "events",
                  resource: "event-bus",
                  resourceName: `${home.stackName}-keyward`,
                  region: home.region,
                  account: home.account,
                },
                home,
              ),
            ),
            { deadLetterQueue: undelivered },
          ),
        ],
      });
      this.issuing = keywardFunction(this, "Issuing", {
        name: "issuer-api",
        memorySize: 256,
        environment: {
          ...keyward.verifierEnvironment,
          KEYWARD_UPSTASH_SECRET_ID: replicatedName(keyward.secretPrefix, "upstash-issuer"),
          KEYWARD_ISSUING_CLIENTS_SECRET_ID: replicatedName(
            keyward.secretPrefix,
            "issuing-clients",
          ),
          KEYWARD_REFRESH_SECRET_ID: replicatedName(keyward.secretPrefix, "refresh"),
          KEYWARD_EVENT_BUS: bus.eventBusName,
        },
      });
      keyrings.grant(this.issuing, "read");
      // Keys held in KMS stay in the home region: this issuer signs there (one round trip away).
      if (keyward.signingKeys !== undefined)
        new KmsKeyGrants(this, keyward.secretPrefix, home.region).grantSign(this.issuing);
      for (const name of ["upstash-issuer", "issuing-clients", "refresh"])
        secret(name).grantRead(this.issuing);
      bus.grantPutEventsTo(this.issuing);
      this.issuingUrl = this.issuing.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    }
  }

  /** The regional authorizer for methods of a REST API of this region, cache off. */
  restApiAuthorizer(scope: Construct, id: string, options?: RestAttachOptions) {
    return restApiAuthorizer(scope, id, this.authorizer, options);
  }

  /** The regional authorizer for routes of an HTTP API of this region, cache off. */
  httpApiAuthorizer(id: string, options?: AttachOptions) {
    return httpApiAuthorizer(id, this.authorizer, options);
  }
}
