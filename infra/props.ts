import { type Duration, RemovalPolicy } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { ConfigInvalid } from "../shared/kernel/errors.ts";
import type { KeywardSettings } from "./settings.ts";

/** The `Keyward` construct's props: the functions' settings (docs/settings.md) and the deployment's. */
export interface KeywardProps extends KeywardSettings {
  /** Secrets Manager name prefix of the keyrings. Default `keyward/<stack name>`. */
  readonly secretPrefix?: string;
  /** The writers' Upstash credentials, `{"url","token"}` (full access); created to fill when absent. */
  readonly upstashSecret?: ISecret;
  /** The issuing endpoint's Upstash credentials (ACL user `keyward-issuer`); created when absent. */
  readonly upstashIssuerSecret?: ISecret;
  /** The verifiers' and sealers' Upstash credentials (ACL user `keyward-reader`); created when absent. */
  readonly upstashReaderSecret?: ISecret;
  /** A secret holding the operators' JSON (`[{"name","role","tokenSha256"}]`); created when absent. */
  readonly operatorsSecret?: ISecret;
  /** The issuing clients' JSON (`[{"name","tokenSha256","claims","audiences","maxLifetimeSeconds"}]`). */
  readonly issuingClientsSecret?: ISecret;
  /**
   * A customer-managed KMS key for the keyrings' secrets (the functions create them with it) and
   * for the secrets this construct creates; every function that reads them may decrypt with it.
   * Default: Secrets Manager's own key.
   */
  readonly encryptionKey?: IKey;
  /**
   * Where the alarms go; a topic is created (subscribe to it) when absent. A topic from outside
   * this app must let EventBridge publish to it (docs/deploying.md): say so with
   * `alarmTopicAllowsEventBridge`.
   */
  readonly alarmTopic?: ITopic;
  /** The given `alarmTopic`'s policy lets `events.amazonaws.com` publish (it cannot be added here). */
  readonly alarmTopicAllowsEventBridge?: boolean;
  /** The share of requests the authorizer usually refuses, in percent. Default 2; the alarm fires at twice it. */
  readonly usualRefusalPercent?: number;
  /** How often the rotation function applies the policy. Default hourly. */
  readonly tickEvery?: Duration;
  /** Deploy the sample REST API (`GET /hello` behind the authorizer). Default false. */
  readonly sampleApi?: boolean;
  /**
   * What `cdk destroy` does with keyward's secrets. `RETAIN` (default) keeps them all. `DESTROY`
   * deletes the created secrets, and a custom resource deletes every keyring secret this
   * deployment owns (tagged with it) with no recovery window.
   */
  readonly removalPolicy?: RemovalPolicy;
  /** API Gateway's cache of the authorizer's answers. Default 0; over 1 s is refused at synth. */
  readonly authorizerCacheTtl?: Duration;
  /** The edge Worker's read-only IAM user (docs/edge.md). Default true. */
  readonly edgeReader?: boolean;
  /**
   * The public JWKS (a function URL without auth, public keys only). Default: only when the
   * algorithm is asymmetric (an HS256 keyring has no public keys).
   */
  readonly jwks?: boolean;
  /** The public JWKS function's reserved concurrency: a flood on it cannot take the account's. Default 5. */
  readonly jwksConcurrency?: number;
  /**
   * Reserved concurrency of the authorizer: capacity no other function of the account can take
   * (and its ceiling). Default: none (the account's unreserved pool).
   */
  readonly authorizerReservedConcurrency?: number;
  /** Regions the keyrings are replicated to, for regional verifiers (`KeywardRegion`). */
  readonly replicaRegions?: readonly string[];
}

/** The deployment's props checked together (the settings are checked by `settingsEnvironment`). */
export function checkedProps(props: KeywardProps, stackRegion: string) {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const problems: string[] = [];
  if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY)
    problems.push("removalPolicy must be RETAIN or DESTROY (secrets have no snapshot)");
  const usualRefusalPercent = props.usualRefusalPercent ?? 2;
  if (!(usualRefusalPercent > 0 && usualRefusalPercent <= 50))
    problems.push("usualRefusalPercent must be a percentage above 0 and at most 50");
  const jwksConcurrency = props.jwksConcurrency ?? 5;
  if (!(Number.isInteger(jwksConcurrency) && jwksConcurrency >= 1 && jwksConcurrency <= 100))
    problems.push("jwksConcurrency must be a whole number from 1 to 100");
  const reserved = props.authorizerReservedConcurrency;
  if (reserved !== undefined && !(Number.isInteger(reserved) && reserved >= 1))
    problems.push("authorizerReservedConcurrency must be a whole number above 0");
  for (const region of props.replicaRegions ?? [])
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) || region === stackRegion)
      problems.push(`replicaRegions: ${region} is not another AWS region`);
  if ((props.replicaRegions ?? []).length > 0 && props.encryptionKey !== undefined)
    problems.push(
      "encryptionKey with replicaRegions is not supported: replicas need a key in each region (a multi-region key); use Secrets Manager's own key for replicated keyrings",
    );
  if (
    props.alarmTopic !== undefined &&
    !props.alarmTopicAllowsEventBridge &&
    !(props.alarmTopic instanceof Topic)
  )
    problems.push(
      "alarmTopic comes from outside this app: its policy must let events.amazonaws.com publish (sns:Publish) for the RotationFailed, StaleSigner, PropagationIncomplete and RevocationLagExceeded events; add that statement, then set alarmTopicAllowsEventBridge: true (docs/deploying.md)",
    );
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return { removalPolicy, usualRefusalPercent, jwksConcurrency, reserved };
}
