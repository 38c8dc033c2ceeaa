import { CustomResource, Duration, RemovalPolicy, Stack, Token } from "aws-cdk-lib";
import { EventBus, type IEventBus, Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction as LambdaTarget } from "aws-cdk-lib/aws-events-targets";
import { type IGrantable, User } from "aws-cdk-lib/aws-iam";
import {
  type FunctionUrl,
  FunctionUrlAuthType,
  type Function as LambdaFunction,
} from "aws-cdk-lib/aws-lambda";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { KEYRING_NAMES } from "../shared/keyring/names.ts";
import type { UpstashRole } from "../shared/upstash/acl.ts";
import {
  type AttachOptions,
  checkedCacheTtl,
  httpApiAuthorizer,
  type RestAttachOptions,
  restApiAuthorizer,
} from "./attach.ts";
import { keywardFunction } from "./functions.ts";
import { KeyringGrants } from "./grants.ts";
import { KmsKeyGrants } from "./kms-grants.ts";
import { KeywardMonitoring } from "./monitoring.ts";
import { acknowledge, acknowledgeProvider, REASONS } from "./nag.ts";
import { claimPrefix } from "./ownership.ts";
import { checkedProps, type KeywardProps } from "./props.ts";
import { checkRegion } from "./regions.ts";
import { SampleApi } from "./sample-api.ts";
import { replicatedName, secretToFill, UPSTASH_SECRETS } from "./secrets.ts";
import { settingsEnvironment } from "./settings.ts";

export type { KeywardProps } from "./props.ts";
export { UNFILLED_SECRET } from "./secrets.ts";

/**
 * keyward in one construct, to drop into a team's CDK app: the event bus, the Lambda authorizer,
 * the ops API (IAM auth on its function URL, and an operator credential), the issuing endpoint,
 * the scheduled rotation function, and the secrets they use, each function with only the
 * permissions it needs. Every keyring secret is tagged with this deployment (`owner`); only its
 * own rotation and teardown may delete them.
 */
export class Keyward extends Construct {
  readonly bus: EventBus;
  readonly authorizer: LambdaFunction;
  readonly opsApi: LambdaFunction;
  /** The ops API's function URL (IAM auth): `KEYWARD_URL` for the CLI. */
  readonly opsApiUrl: FunctionUrl;
  readonly rotation: LambdaFunction;
  /** The issuing endpoint (`POST /v1/tokens`) for login services in other languages. */
  readonly issuing: LambdaFunction;
  readonly issuingUrl: FunctionUrl;
  readonly issuingClientsSecret: ISecret;
  /** The public JWKS (absent for a symmetric keyring unless asked). */
  readonly jwks?: LambdaFunction;
  readonly jwksUrl?: FunctionUrl;
  readonly refreshSecret: ISecret;
  readonly edgeReader?: User;
  readonly sampleBackend?: LambdaFunction;
  readonly sampleApi?: SampleApi;
  readonly deadLetters: Queue;
  /** The writers' Upstash credentials. */
  readonly upstashSecret: ISecret;
  readonly upstashIssuerSecret: ISecret;
  readonly upstashReaderSecret: ISecret;
  readonly operatorsSecret: ISecret;
  readonly alarmTopic: ITopic;
  readonly monitoring: KeywardMonitoring;
  readonly secretPrefix: string;
  /** The value of the `keyward:owner` tag on this deployment's keyring secrets. */
  readonly owner: string;
  readonly replicaRegions: readonly string[];
  /** What a regional verifier needs to run beside this deployment (`KeywardRegion`). */
  readonly verifierEnvironment: Readonly<Record<string, string>>;
  readonly keyrings: KeyringGrants;
  /** The signing keyring's keys in AWS KMS, with `signingKeys: "kms"`: who may sign, who manage. */
  readonly signingKeys?: KmsKeyGrants;
  readonly #attachDefaults: AttachOptions;

  constructor(scope: Construct, id: string, props: KeywardProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region)) checkRegion(stack.region);
    this.secretPrefix = props.secretPrefix ?? `keyward/${stack.stackName}`;
    this.owner = this.node.path;
    const settings = settingsEnvironment(props);
    checkedCacheTtl(props.authorizerCacheTtl);
    this.#attachDefaults = {
      ...(props.tokenHeader === undefined ? {} : { header: props.tokenHeader }),
      ...(props.authorizerCacheTtl === undefined
        ? {}
        : { resultsCacheTtl: props.authorizerCacheTtl }),
    };
    const { removalPolicy, usualRefusalPercent, jwksConcurrency, reserved } = checkedProps(
      props,
      stack.region,
    );
    this.replicaRegions = [...(props.replicaRegions ?? [])];
    claimPrefix(this, this.secretPrefix, this.owner);

    this.keyrings = new KeyringGrants(
      this,
      this.secretPrefix,
      this.owner,
      props.encryptionKey,
      this.replicaRegions,
    );
    if (settings.policy.KEYWARD_SIGNING_KEYS === "kms")
      this.signingKeys = new KmsKeyGrants(this, this.secretPrefix);
    this.bus = new EventBus(this, "Events", { eventBusName: `${stack.stackName}-keyward` });
    const fill = (
      secretId: string,
      description: string,
      extra: { secretName?: string; replicaRegions?: readonly string[] } = {},
    ) =>
      secretToFill(this, secretId, {
        description,
        removalPolicy,
        ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
        ...extra,
      });
    // What regional verifiers read is replicated to their regions, under names of its own.
    const replicated = (name: string) =>
      this.replicaRegions.length === 0
        ? {}
        : {
            secretName: replicatedName(this.secretPrefix, name),
            replicaRegions: this.replicaRegions,
          };
    const upstash = (role: UpstashRole, given: ISecret | undefined) =>
      given ??
      fill(
        UPSTASH_SECRETS[role].id,
        UPSTASH_SECRETS[role].description,
        role === "writer" ? {} : replicated(`upstash-${role}`),
      );
    this.upstashSecret = upstash("writer", props.upstashSecret);
    this.upstashIssuerSecret = upstash("issuer", props.upstashIssuerSecret);
    this.upstashReaderSecret = upstash("reader", props.upstashReaderSecret);
    this.operatorsSecret =
      props.operatorsSecret ??
      fill(
        "Operators",
        'keyward: operators of the ops API, [{"name","role","tokenSha256"}]; fill in after deploy',
      );
    this.issuingClientsSecret =
      props.issuingClientsSecret ??
      fill(
        "IssuingClients",
        'keyward: clients of the issuing endpoint, [{"name","tokenSha256","claims","audiences","maxLifetimeSeconds"}]; fill in after deploy',
        replicated("issuing-clients"),
      );

    const stores = {
      KEYWARD_SECRET_PREFIX: this.secretPrefix,
      KEYWARD_REDIS_PREFIX: settings.redisPrefix,
    };
    // The writers read the verifiers' bounds too: a key's rule must outlive every cached keyring.
    const writers = {
      ...stores,
      ...settings.verifier,
      ...settings.policy,
      KEYWARD_UPSTASH_SECRET_ID: this.upstashSecret.secretArn,
      KEYWARD_EVENT_BUS: this.bus.eventBusName,
      KEYWARD_OWNER: this.owner,
      ...(this.replicaRegions.length === 0
        ? {}
        : { KEYWARD_REPLICA_REGIONS: this.replicaRegions.join(",") }),
      ...(props.encryptionKey === undefined
        ? {}
        : { KEYWARD_KMS_KEY_ID: props.encryptionKey.keyArn }),
    };
    this.verifierEnvironment = { ...stores, ...settings.verifier };

    this.authorizer = keywardFunction(this, "Authorizer", {
      name: "authorizer",
      memorySize: 256,
      environment: {
        ...this.verifierEnvironment,
        KEYWARD_UPSTASH_SECRET_ID: this.upstashReaderSecret.secretArn,
      },
      ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
    });
    this.keyrings.grant(this.authorizer, "read");
    this.upstashReaderSecret.grantRead(this.authorizer);

    this.opsApi = keywardFunction(this, "OpsApi", {
      name: "ops-api",
      memorySize: 512,
      environment: { ...writers, KEYWARD_OPERATORS_SECRET_ID: this.operatorsSecret.secretArn },
    });
    // The ops API writes both keyrings but never deletes material: only the rotation function does.
    this.keyrings.grant(this.opsApi, "write", KEYRING_NAMES);
    this.signingKeys?.grantManage(this.opsApi, false);
    this.upstashSecret.grantRead(this.opsApi);
    this.operatorsSecret.grantRead(this.opsApi);
    this.bus.grantPutEventsTo(this.opsApi);
    this.opsApiUrl = this.opsApi.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    this.refreshSecret = secretToFill(this, "RefreshSecret", {
      description: "keyward: derives each refresh token's successor (generated; rotate = log out)",
      removalPolicy,
      ...(props.encryptionKey === undefined ? {} : { encryptionKey: props.encryptionKey }),
      ...replicated("refresh"),
      generated: true,
    });
    // Signing is not managing keys: the issuing function reads the keyring and its clients, and
    // keeps refresh-token families in Upstash (where it also journals a reuse) with the issuer's
    // credentials; it cannot write the keyring, nor any revocation rule but a reused family's.
    this.issuing = keywardFunction(this, "Issuing", {
      name: "issuer-api",
      memorySize: 256,
      environment: {
        ...this.verifierEnvironment,
        KEYWARD_UPSTASH_SECRET_ID: this.upstashIssuerSecret.secretArn,
        KEYWARD_ISSUING_CLIENTS_SECRET_ID: this.issuingClientsSecret.secretArn,
        KEYWARD_REFRESH_SECRET_ID: this.refreshSecret.secretArn,
        KEYWARD_EVENT_BUS: this.bus.eventBusName,
      },
    });
    this.grantIssue(this.issuing);
    this.issuingClientsSecret.grantRead(this.issuing);
    this.refreshSecret.grantRead(this.issuing);
    this.upstashIssuerSecret.grantRead(this.issuing);
    this.bus.grantPutEventsTo(this.issuing);
    this.issuingUrl = this.issuing.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    // Outside verifiers (PyJWT, jose) need the public keys without AWS credentials: a function
    // that may read only the public keys the writers publish, behind a URL without auth, with
    // a concurrency of its own so a flood on it cannot take the authorizer's. It records who
    // fetched them with the readers' Upstash credentials (a pending key waits for them).
    if (props.jwks ?? (settings.policy.KEYWARD_ALGORITHM ?? "HS256") !== "HS256") {
      this.jwks = keywardFunction(this, "Jwks", {
        name: "jwks",
        memorySize: 128,
        environment: {
          ...stores,
          KEYWARD_KEYRING_CACHE_TTL_SECONDS:
            settings.verifier.KEYWARD_KEYRING_CACHE_TTL_SECONDS ?? "60",
          KEYWARD_UPSTASH_SECRET_ID: this.upstashReaderSecret.secretArn,
        },
        reservedConcurrentExecutions: jwksConcurrency,
      });
      this.keyrings.grantPublicKeys(this.jwks);
      this.upstashReaderSecret.grantRead(this.jwks);
      this.jwksUrl = this.jwks.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    }

    this.rotation = keywardFunction(this, "Rotation", {
      name: "rotation",
      memorySize: 512,
      environment: writers,
      // One tick at a time: two racing ticks would only end in a conflict, but why pay for it.
      reservedConcurrentExecutions: 1,
    });
    this.keyrings.grant(this.rotation, "destroy", KEYRING_NAMES);
    this.signingKeys?.grantManage(this.rotation, true);
    this.upstashSecret.grantRead(this.rotation);
    this.bus.grantPutEventsTo(this.rotation);
    this.deadLetters = new Queue(this, "RotationDeadLetters", {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    for (const rule of ["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"])
      acknowledge(this.deadLetters, rule, REASONS.deadLetterQueue);
    new Rule(this, "RotationSchedule", {
      description: "keyward: apply the rotation policy (each run does whatever is due)",
      schedule: Schedule.rate(props.tickEvery ?? Duration.hours(1)),
      targets: [
        new LambdaTarget(this.rotation, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });

    if (props.sampleApi ?? false) {
      this.sampleBackend = keywardFunction(this, "SampleBackend", {
        name: "sample",
        memorySize: 128,
        environment: {},
      });
      this.sampleApi = new SampleApi(this, "Sample", {
        authorizer: (scope) => this.restApiAuthorizer(scope, "Authorizer"),
        backend: this.sampleBackend,
      });
    }

    if (props.edgeReader ?? true) {
      // Outside AWS, a Worker signs its Secrets Manager reads with a user's access key: the
      // key can read the keyring (HMAC material included) and do nothing else.
      this.edgeReader = new User(this, "EdgeReader");
      this.keyrings.grant(this.edgeReader, "read");
    }

    if (removalPolicy === RemovalPolicy.DESTROY) {
      // The keyring's secrets are the functions' work, unknown to CloudFormation: a custom
      // resource deletes the ones this deployment owns when the stack (or this construct) goes.
      const teardown = keywardFunction(this, "KeyringTeardown", {
        name: "teardown",
        memorySize: 256,
        environment: { KEYWARD_SECRET_PREFIX: this.secretPrefix, KEYWARD_OWNER: this.owner },
      });
      this.keyrings.grant(teardown, "destroy", KEYRING_NAMES);
      this.signingKeys?.grantDestroy(teardown);
      const provider = new Provider(this, "KeyringTeardownProvider", { onEventHandler: teardown });
      acknowledgeProvider(provider, teardown.functionArn);
      new CustomResource(this, "KeyringSecrets", {
        serviceToken: provider.serviceToken,
        resourceType: "Custom::KeywardKeyringSecrets",
        properties: { prefix: this.secretPrefix },
      });
    }

    this.alarmTopic =
      props.alarmTopic ??
      new Topic(this, "Alarms", { displayName: "keyward alarms", enforceSSL: true });
    this.monitoring = new KeywardMonitoring(this, "Monitoring", {
      topic: this.alarmTopic,
      // aws-cdk-lib's types predate exactOptionalPropertyTypes, as for the secrets.
      bus: this.bus as IEventBus,
      rotation: this.rotation,
      deadLetters: this.deadLetters,
      usualRefusalPercent,
    });
    for (const secret of [
      this.upstashSecret,
      this.upstashIssuerSecret,
      this.upstashReaderSecret,
      this.operatorsSecret,
      this.issuingClientsSecret,
      this.refreshSecret,
    ])
      acknowledge(secret, "AwsSolutions-SMG4", REASONS.secretRotation);
  }

  /** Lets `grantee` (a login function using `keyward/issuer`) sign: read access to the keyring. */
  grantIssue(grantee: IGrantable): void {
    this.keyrings.grant(grantee, "read");
    this.signingKeys?.grantSign(grantee);
  }

  /**
   * Lets `grantee` (a function holding sessions, with `keyward/sessions`) seal and open them:
   * the sessions keyring's secrets (never the signing keyring's) and the reader's Upstash
   * credentials (the emergency's key rules, the usage counts).
   */
  grantSeal(grantee: IGrantable): void {
    this.keyrings.grant(grantee, "read", ["sessions"]);
    this.upstashReaderSecret.grantRead(grantee);
  }

  /** keyward's authorizer for methods of an existing REST API (TOKEN by default, or REQUEST), cache off. */
  restApiAuthorizer(scope: Construct, id: string, options?: RestAttachOptions) {
    return restApiAuthorizer(scope, id, this.authorizer, { ...this.#attachDefaults, ...options });
  }

  /** keyward's authorizer for routes of an existing HTTP API (payload 2.0, simple responses, cache off). */
  httpApiAuthorizer(id: string, options?: AttachOptions) {
    return httpApiAuthorizer(id, this.authorizer, { ...this.#attachDefaults, ...options });
  }

  /**
   * Lets `grantee` (an operator's role or user) reach the ops API: `lambda:InvokeFunctionUrl`
   * and, through the URL only, `lambda:InvokeFunction`. What the operator may do there is the
   * role of their keyward credential (the `Operators` secret).
   */
  grantOperate(grantee: IGrantable): void {
    this.opsApi.grantInvokeUrl(grantee);
  }
}
