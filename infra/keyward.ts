import { fileURLToPath } from "node:url";
import {
  Arn,
  ArnFormat,
  CustomResource,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
} from "aws-cdk-lib";
import { EventBus, type IEventBus, Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Grant, type IGrantable, User } from "aws-cdk-lib/aws-iam";
import {
  Architecture,
  type CfnFunction,
  type FunctionUrl,
  FunctionUrlAuthType,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { KEYRING_NAMES, type KeyringName, keyringSecretPrefix } from "../shared/keyring/names.ts";
import {
  type AttachOptions,
  checkedCacheTtl,
  httpApiAuthorizer,
  type RestAttachOptions,
  restApiAuthorizer,
} from "./attach.ts";
import { KeywardMonitoring } from "./monitoring.ts";
import { SampleApi } from "./sample-api.ts";
import { type KeywardSettings, settingsEnvironment } from "./settings.ts";

export interface KeywardProps extends KeywardSettings {
  /** Secrets Manager name prefix of the keyring. Default `keyward/<stack name>`. */
  readonly secretPrefix?: string;
  /** A secret holding `{"url","token"}` for Upstash; created (to be filled in) when absent. */
  readonly upstashSecret?: ISecret;
  /** A secret holding the operators' JSON (`[{"name","role","tokenSha256"}]`); created when absent. */
  readonly operatorsSecret?: ISecret;
  /**
   * A secret holding the issuing clients' JSON (`[{"name","tokenSha256","claims","audiences",
   * "maxLifetimeSeconds"}]`); created when absent.
   */
  readonly issuingClientsSecret?: ISecret;
  /** Where the alarms go; a topic is created (subscribe to it) when absent. */
  readonly alarmTopic?: ITopic;
  /** The share of requests the authorizer usually refuses, in percent. Default 2; the alarm fires at twice it. */
  readonly usualRefusalPercent?: number;
  /** How often the rotation function applies the policy. Default hourly. */
  readonly tickEvery?: Duration;
  /** Deploy the sample REST API (`GET /hello` behind the authorizer). Default true. */
  readonly sampleApi?: boolean;
  /**
   * What `cdk destroy` does with keyward's secrets. `RETAIN` (default) keeps them all: the
   * secrets this construct created and the keyring under the prefix (README "Taking it down"
   * deletes them by hand). `DESTROY` deletes the created secrets, and a custom resource deletes
   * every secret under the prefix (the keyring and each key's material) with no recovery window.
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * API Gateway's cache of the authorizer's answers on the routes the attach methods (and the
   * sample) protect. Default 0; over 1 s is refused at synth (it would outlive revocations).
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * An IAM user for the edge verifier (Cloudflare Worker) to read the keyring with: read access
   * to the keyring's secrets and nothing else, no access key (create one and give it to the
   * Worker as secrets, README "The edge verifier"). Default true.
   */
  readonly edgeReader?: boolean;
}

/**
 * What a secret to fill holds until the operator fills it: not a random string (CDK's default,
 * which looks like a value), but a text every function refuses at start, naming what is missing.
 */
export const UNFILLED_SECRET = "not filled in yet: see the stack's outputs (README, Deploying)";

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/**
 * keyward in one construct, to drop into a team's CDK app: the event bus, the Lambda authorizer,
 * the ops API (behind IAM auth on its Function URL, and an operator credential), the scheduled
 * rotation function, and the secrets they use, each function with only the permissions it needs.
 */
export class Keyward extends Construct {
  readonly bus: EventBus;
  readonly authorizer: NodejsFunction;
  readonly opsApi: NodejsFunction;
  /** The ops API's Function URL (IAM auth): `KEYWARD_URL` for the CLI. */
  readonly opsApiUrl: FunctionUrl;
  readonly rotation: NodejsFunction;
  /** The issuing endpoint (`POST /v1/tokens`) for login services in other languages. */
  readonly issuing: NodejsFunction;
  /** Its Function URL (IAM auth). */
  readonly issuingUrl: FunctionUrl;
  readonly issuingClientsSecret: ISecret;
  /** The public JWKS for outside verifiers of asymmetric keys: public keys only, no auth. */
  readonly jwks: NodejsFunction;
  readonly jwksUrl: FunctionUrl;
  /** The secret refresh tokens' successors are derived with (generated; never shown). */
  readonly refreshSecret: ISecret;
  /** The edge verifier's read-only IAM user (absent with `edgeReader: false`). */
  readonly edgeReader?: User;
  /** The sample route's backend (absent with `sampleApi: false`). */
  readonly sampleBackend?: NodejsFunction;
  readonly sampleApi?: SampleApi;
  readonly deadLetters: Queue;
  readonly upstashSecret: ISecret;
  readonly operatorsSecret: ISecret;
  readonly alarmTopic: ITopic;
  readonly monitoring: KeywardMonitoring;
  readonly secretPrefix: string;
  /** The ARN pattern of a keyring's secrets. */
  readonly #keyringSecrets: (keyring: KeyringName) => string;
  /** The attach methods' defaults: the `tokenHeader` and `authorizerCacheTtl` props. */
  readonly #attachDefaults: AttachOptions;

  constructor(scope: Construct, id: string, props: KeywardProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.secretPrefix = props.secretPrefix ?? `keyward/${stack.stackName}`;
    const settings = settingsEnvironment(props);
    checkedCacheTtl(props.authorizerCacheTtl);
    this.#attachDefaults = {
      ...(props.tokenHeader === undefined ? {} : { header: props.tokenHeader }),
      ...(props.authorizerCacheTtl === undefined
        ? {}
        : { resultsCacheTtl: props.authorizerCacheTtl }),
    };
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
      throw new Error("removalPolicy must be RETAIN or DESTROY (secrets have no snapshot)");
    }
    const usualRefusalPercent = props.usualRefusalPercent ?? 2;
    if (!(usualRefusalPercent > 0 && usualRefusalPercent <= 50)) {
      throw new Error("usualRefusalPercent must be a percentage above 0 and at most 50");
    }

    this.bus = new EventBus(this, "Events", { eventBusName: `${stack.stackName}-keyward` });
    // `as ISecret`: aws-cdk-lib's types predate exactOptionalPropertyTypes (Secret's optional
    // secretFullArn does not match ISecret's under it); the object is an ISecret all the same.
    this.upstashSecret =
      props.upstashSecret ??
      (new Secret(this, "UpstashCredentials", {
        description:
          'keyward: Upstash REST credentials, {"url": "...", "token": "..."}; fill in after deploy',
        secretStringValue: SecretValue.unsafePlainText(UNFILLED_SECRET),
        removalPolicy,
      }) as ISecret);
    this.operatorsSecret =
      props.operatorsSecret ??
      (new Secret(this, "Operators", {
        description:
          'keyward: operators of the ops API, [{"name","role","tokenSha256"}]; fill in after deploy',
        secretStringValue: SecretValue.unsafePlainText(UNFILLED_SECRET),
        removalPolicy,
      }) as ISecret);

    this.#keyringSecrets = (name) =>
      Arn.format(
        {
          service: "secretsmanager",
          resource: "secret",
          resourceName: `${keyringSecretPrefix(this.secretPrefix, name)}/*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );

    const stores = {
      KEYWARD_SECRET_PREFIX: this.secretPrefix,
      KEYWARD_UPSTASH_SECRET_ID: this.upstashSecret.secretArn,
      KEYWARD_REDIS_PREFIX: settings.redisPrefix,
    };
    const writers = { ...stores, ...settings.policy, KEYWARD_EVENT_BUS: this.bus.eventBusName };

    this.authorizer = this.#function("Authorizer", "functions/authorizer/index.ts", 256, {
      ...stores,
      ...settings.verifier,
    });
    this.#grantKeyring(this.authorizer, "read");
    this.upstashSecret.grantRead(this.authorizer);

    this.opsApi = this.#function("OpsApi", "functions/ops-api/index.ts", 512, {
      ...writers,
      KEYWARD_OPERATORS_SECRET_ID: this.operatorsSecret.secretArn,
    });
    // The ops API writes both keyrings but never deletes material: only the rotation function does.
    this.#grantKeyring(this.opsApi, "write", KEYRING_NAMES);
    this.upstashSecret.grantRead(this.opsApi);
    this.operatorsSecret.grantRead(this.opsApi);
    this.bus.grantPutEventsTo(this.opsApi);
    this.opsApiUrl = this.opsApi.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    this.issuingClientsSecret =
      props.issuingClientsSecret ??
      (new Secret(this, "IssuingClients", {
        description:
          'keyward: clients of the issuing endpoint, [{"name","tokenSha256","claims","audiences","maxLifetimeSeconds"}]; fill in after deploy',
        secretStringValue: SecretValue.unsafePlainText(UNFILLED_SECRET),
        removalPolicy,
      }) as ISecret);
    this.refreshSecret = new Secret(this, "RefreshSecret", {
      description: "keyward: derives each refresh token's successor (generated; rotate = log out)",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    }) as ISecret;
    // Signing is not managing keys: the issuing function reads the keyring and its clients, and
    // keeps refresh-token families in Upstash (where it also journals a reuse); it cannot write
    // the keyring.
    this.issuing = this.#function("Issuing", "functions/issuer-api/index.ts", 256, {
      ...stores,
      ...settings.verifier,
      KEYWARD_ISSUING_CLIENTS_SECRET_ID: this.issuingClientsSecret.secretArn,
      KEYWARD_REFRESH_SECRET_ID: this.refreshSecret.secretArn,
      KEYWARD_EVENT_BUS: this.bus.eventBusName,
    });
    this.#grantKeyring(this.issuing, "read");
    this.issuingClientsSecret.grantRead(this.issuing);
    this.refreshSecret.grantRead(this.issuing);
    this.upstashSecret.grantRead(this.issuing);
    this.bus.grantPutEventsTo(this.issuing);
    this.issuingUrl = this.issuing.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    // Outside verifiers (PyJWT, jose) need the public keys without AWS credentials: a function
    // that can only read the keyring and serves nothing but the key set, behind a URL without
    // auth. HMAC material is never in it.
    this.jwks = this.#function("Jwks", "functions/jwks/index.ts", 128, {
      KEYWARD_SECRET_PREFIX: this.secretPrefix,
      KEYWARD_KEYRING_CACHE_TTL_SECONDS:
        settings.verifier.KEYWARD_KEYRING_CACHE_TTL_SECONDS ?? "60",
    });
    this.#grantKeyring(this.jwks, "read");
    this.jwksUrl = this.jwks.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    this.rotation = this.#function("Rotation", "functions/rotation/index.ts", 512, writers);
    // One tick at a time: two racing ticks would only end in a conflict, but why pay for it.
    (this.rotation.node.defaultChild as CfnFunction).reservedConcurrentExecutions = 1;
    this.#grantKeyring(this.rotation, "destroy", KEYRING_NAMES);
    this.upstashSecret.grantRead(this.rotation);
    this.bus.grantPutEventsTo(this.rotation);
    this.deadLetters = new Queue(this, "RotationDeadLetters", {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    new Rule(this, "RotationSchedule", {
      description: "keyward: apply the rotation policy (each run does whatever is due)",
      schedule: Schedule.rate(props.tickEvery ?? Duration.hours(1)),
      targets: [
        new LambdaFunction(this.rotation, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });

    if (props.sampleApi ?? true) {
      this.sampleBackend = this.#function("SampleBackend", "functions/sample/index.ts", 128, {});
      this.sampleApi = new SampleApi(this, "Sample", {
        authorizer: (scope) => this.restApiAuthorizer(scope, "Authorizer"),
        backend: this.sampleBackend,
      });
    }

    if (props.edgeReader ?? true) {
      // Outside AWS, a Worker signs its Secrets Manager reads with a user's access key: the
      // key can read the keyring (HMAC material included) and do nothing else.
      this.edgeReader = new User(this, "EdgeReader");
      this.grantIssue(this.edgeReader);
    }

    if (removalPolicy === RemovalPolicy.DESTROY) {
      // The keyring's secrets are the functions' work, unknown to CloudFormation: a custom
      // resource deletes them when the stack (or this construct) is deleted.
      const teardown = this.#function("KeyringTeardown", "functions/teardown/index.ts", 256, {
        KEYWARD_SECRET_PREFIX: this.secretPrefix,
      });
      this.#grantKeyring(teardown, "destroy", KEYRING_NAMES);
      const provider = new Provider(this, "KeyringTeardownProvider", { onEventHandler: teardown });
      new CustomResource(this, "KeyringSecrets", {
        serviceToken: provider.serviceToken,
        resourceType: "Custom::KeywardKeyringSecrets",
        properties: { prefix: this.secretPrefix },
      });
    }

    this.alarmTopic =
      props.alarmTopic ?? new Topic(this, "Alarms", { displayName: "keyward alarms" });
    this.monitoring = new KeywardMonitoring(this, "Monitoring", {
      topic: this.alarmTopic,
      // aws-cdk-lib's types predate exactOptionalPropertyTypes, as for the secrets above.
      bus: this.bus as IEventBus,
      rotation: this.rotation,
      deadLetters: this.deadLetters,
      usualRefusalPercent,
    });
  }

  /**
   * Lets `grantee` (a team's own login function using `keyward/issuer`) sign with the keyring:
   * read access to its secrets, nothing else. Callers of the issuing endpoint need
   * `issuingUrl.grantInvokeUrl(grantee)` instead.
   */
  grantIssue(grantee: IGrantable): void {
    this.#grantKeyring(grantee, "read");
  }

  /**
   * Lets `grantee` (a team's own function holding sessions, with `keyward/sessions`) seal and open
   * them: read access to the sessions keyring's secrets (never the signing keyring's) and to the
   * Upstash secret (the emergency's key rules, the usage counts).
   */
  grantSeal(grantee: IGrantable): void {
    this.#grantKeyring(grantee, "read", ["sessions"]);
    this.upstashSecret.grantRead(grantee);
  }

  /**
   * keyward's authorizer for methods of an existing REST API (TOKEN by default, or REQUEST),
   * result cache off: `method.addMethod("GET", integration, { authorizer })`.
   */
  restApiAuthorizer(scope: Construct, id: string, options?: RestAttachOptions) {
    return restApiAuthorizer(scope, id, this.authorizer, { ...this.#attachDefaults, ...options });
  }

  /**
   * keyward's authorizer for routes of an existing HTTP API (payload 2.0, simple responses, cache
   * off): `api.addRoutes({ path, methods, integration, authorizer })`.
   */
  httpApiAuthorizer(id: string, options?: AttachOptions) {
    return httpApiAuthorizer(id, this.authorizer, { ...this.#attachDefaults, ...options });
  }

  /**
   * Lets `grantee` (an operator's role or user) reach the ops API: `lambda:InvokeFunctionUrl` and,
   * through the URL only, `lambda:InvokeFunction` on its function, as the Function URL's IAM
   * auth requires. What the operator may do there is
   * the role of their keyward credential (the `Operators` secret), not of this grant.
   */
  grantOperate(grantee: IGrantable): void {
    this.opsApi.grantInvokeUrl(grantee);
  }

  /**
   * Access to keyrings' secrets (the signing keyring's unless told): `read` for verifiers and
   * sealers, `write` for the ops API, `destroy` (write and delete material) for the rotation
   * function alone. Reading is one BatchGetSecretValue filtered on the prefix: that call and
   * ListSecrets (which a filter needs) take no resource; the values stay guarded by
   * GetSecretValue on those keyrings' secrets only.
   */
  #grantKeyring(
    grantee: IGrantable,
    access: "read" | "write" | "destroy",
    keyrings: readonly KeyringName[] = ["signing"],
  ): void {
    Grant.addToPrincipal({
      grantee,
      actions: ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
      resourceArns: ["*"],
    });
    const actions = ["secretsmanager:GetSecretValue"];
    if (access !== "read") {
      actions.push(
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:TagResource",
      );
    }
    if (access === "destroy") actions.push("secretsmanager:DeleteSecret");
    Grant.addToPrincipal({ grantee, actions, resourceArns: keyrings.map(this.#keyringSecrets) });
  }

  #function(
    id: string,
    entry: string,
    memorySize: number,
    environment: Record<string, string>,
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new NodejsFunction(this, id, {
      entry: root(entry),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: Duration.seconds(10),
      logGroup,
      environment,
      depsLockFilePath: root("package-lock.json"),
      projectRoot: root(""),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: false,
        target: "node22",
        // ESM bundles still meet CommonJS inside dependencies: give them a require.
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
  }
}
