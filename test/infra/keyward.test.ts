import { readFileSync } from "node:fs";
import { App, type CfnResource, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { LambdaIntegration, RestApi } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { type CfnRole, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { beforeAll, describe, expect, it } from "vitest";
import { Keyward, type KeywardProps, UNFILLED_SECRET } from "../../infra/keyward.ts";
import { keywardStackFromContext } from "../../infra/stack.ts";
import { ConfigInvalid } from "../../shared/errors.ts";

let template: Template;
let ids: {
  authorizer: string;
  ops: string;
  issuing: string;
  clients: string;
  rotation: string;
  bus: string;
  upstash: string;
  refresh: string;
  jwks: string;
  operators: string;
  dlq: string;
  sample: string;
  topic: string;
};

/** The ARN pattern of the test stack's keyring secrets, as the template writes it. */
const KEYRING_SECRETS = {
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":secretsmanager:eu-west-1:123456789012:secret:keyward/test/*",
    ],
  ],
};

/** The same for the sessions keyring's secrets, beside the signing keyring's prefix. */
const SESSION_SECRETS = {
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":secretsmanager:eu-west-1:123456789012:secret:keyward/test-sessions/*",
    ],
  ],
};

/** The rotation function and the ops API: they publish events and are no issuing endpoint. */
const isWriter = (vars: object) =>
  "KEYWARD_EVENT_BUS" in vars && !("KEYWARD_ISSUING_CLIENTS_SECRET_ID" in vars);

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, "Test", { env: { account: "123456789012", region: "eu-west-1" } });
  const keyward = new Keyward(stack, "Keyward", { secretPrefix: "keyward/test" });
  template = Template.fromStack(stack);
  const logical = (construct: { node: { defaultChild?: unknown } } | object) =>
    stack.getLogicalId((construct as { node: { defaultChild: never } }).node.defaultChild);
  ids = {
    authorizer: logical(keyward.authorizer),
    ops: logical(keyward.opsApi),
    issuing: logical(keyward.issuing),
    clients: logical(keyward.issuingClientsSecret),
    rotation: logical(keyward.rotation),
    dlq: logical(keyward.deadLetters),
    bus: logical(keyward.bus),
    upstash: logical(keyward.upstashSecret),
    refresh: logical(keyward.refreshSecret),
    jwks: logical(keyward.jwks),
    operators: logical(keyward.operatorsSecret),
    sample: logical(keyward.sampleBackend ?? {}),
    topic: logical(keyward.alarmTopic),
  };
}, 120_000);

/** A stack with other props, without bundling the functions again (their code is the same). */
function templateWith(props: KeywardProps = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new Stack(app, "Other", { env: { account: "123456789012", region: "eu-west-1" } });
  new Keyward(stack, "Keyward", { secretPrefix: "keyward/other", ...props });
  return Template.fromStack(stack);
}

/** The keyward variables of each function, by the function's logical id. */
function environments(t: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(t.findResources("AWS::Lambda::Function")).map(([id, fn]) => [
      id,
      (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    ]),
  );
}

function alarm(name: string): Record<string, unknown> {
  const found = Object.entries(template.findResources("AWS::CloudWatch::Alarm")).find(([id]) =>
    id.includes(name),
  );
  if (found === undefined) throw new Error(`no alarm ${name}`);
  return found[1].Properties as Record<string, unknown>;
}

/** Every IAM statement attached to a function's role. */
function statementsOf(
  functionId: string,
  t: Template = template,
): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const fn = t.findResources("AWS::Lambda::Function")[functionId];
  if (fn === undefined) throw new Error(`no function ${functionId}`);
  const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(t.findResources("AWS::IAM::Policy"))
    .filter((policy) =>
      ((policy.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === role),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** A stack with keyward (no sample API) and a team's own Lambda role beside it. */
function withTeamRole(name: string, secretPrefix: string) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new Stack(app, name, { env: { account: "123456789012", region: "eu-west-1" } });
  const keyward = new Keyward(stack, "Keyward", { secretPrefix, sampleApi: false });
  const role = new Role(stack, `${name}Role`, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
  });
  return { stack, keyward, role };
}

/** Every IAM statement attached to a role of `stack`. */
function roleStatements(stack: Stack, role: Role): { Action: string | string[] }[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
  return Object.values(Template.fromStack(stack).findResources("AWS::IAM::Policy"))
    .filter((policy) =>
      ((policy.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (statements: { Action: string | string[] }[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe("the Keyward construct", () => {
  it("runs the six functions on Node 22, arm64, sized, with a month of logs", () => {
    template.resourcePropertiesCountIs(
      "AWS::Lambda::Function",
      { Runtime: "nodejs22.x", Architectures: ["arm64"] },
      6,
    );
    const memory = (id: string) =>
      template.findResources("AWS::Lambda::Function")[id]?.Properties.MemorySize;
    expect(
      [ids.authorizer, ids.ops, ids.issuing, ids.rotation, ids.sample, ids.jwks].map(memory),
    ).toEqual([256, 512, 256, 512, 128, 128]);
    template.resourceCountIs("AWS::Logs::LogGroup", 6);
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("configures the authorizer from its environment, Upstash credentials from a secret", () => {
    expect(environments(template)[ids.authorizer]).toEqual({
      KEYWARD_SECRET_PREFIX: "keyward/test",
      KEYWARD_UPSTASH_SECRET_ID: { Ref: ids.upstash },
      KEYWARD_REDIS_PREFIX: "kw:",
      KEYWARD_REVOCATION_FAILURE_MODE: "closed",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "86400",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "60",
    });
  });

  it("gives the rotation function and the ops API the same policy, from the props", () => {
    const env = environments(
      templateWith({
        rotationPeriod: Duration.days(30),
        minGrace: Duration.days(3),
        maxGrace: Duration.days(10),
        retireBelowPercent: 2,
        retention: Duration.days(14),
        strategy: "rolling",
        algorithm: "ES256",
        maxTokenLifetime: Duration.hours(1),
        keyringCacheTtl: Duration.seconds(30),
        prePublicationMargin: Duration.seconds(90),
        failureMode: "open",
        redisPrefix: "prod:",
      }),
    );
    const policy = {
      KEYWARD_ALGORITHM: "ES256",
      KEYWARD_STRATEGY: "rolling",
      KEYWARD_ROTATION_PERIOD_DAYS: "30",
      KEYWARD_MIN_GRACE_DAYS: "3",
      KEYWARD_MAX_GRACE_DAYS: "10",
      KEYWARD_RETIRE_BELOW_PERCENT: "2",
      KEYWARD_RETENTION_DAYS: "14",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "30",
      KEYWARD_PRE_PUBLICATION_MARGIN_SECONDS: "90",
      KEYWARD_REDIS_PREFIX: "prod:",
    };
    const writers = Object.values(env).filter(isWriter);
    expect(writers).toHaveLength(2);
    for (const vars of writers) expect(vars).toMatchObject(policy);
    const verifier = Object.values(env).find((vars) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars);
    expect(verifier).toMatchObject({
      KEYWARD_REVOCATION_FAILURE_MODE: "open",
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "30",
      KEYWARD_REDIS_PREFIX: "prod:",
    });
  });

  it("refuses at synth a policy the functions would refuse at start, naming the props", () => {
    let error: unknown;
    try {
      templateWith({ minGrace: Duration.days(0), maxGrace: Duration.hours(36) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).problems).toEqual([
      "maxGrace must be a whole number of days",
      "minGrace must be at least maxTokenLifetime, or valid tokens would be refused",
    ]);
  });

  it("lets the authorizer read the keyring and the Upstash secret, and nothing else", () => {
    const statements = statementsOf(ids.authorizer);
    expect(actionsOf(statements)).toEqual([
      "secretsmanager:BatchGetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:GetSecretValue",
      "secretsmanager:ListSecrets",
    ]);
    const keyringRead = statements.find((s) => s.Action === "secretsmanager:GetSecretValue");
    expect(JSON.stringify(keyringRead?.Resource)).toContain(":secret:keyward/test/*");
  });

  it("lets the ops API write the keyring but not delete material, and put events on keyward's bus only", () => {
    const statements = statementsOf(ids.ops);
    const actions = actionsOf(statements);
    expect(actions).toContain("secretsmanager:PutSecretValue");
    expect(actions).toContain("secretsmanager:CreateSecret");
    expect(actions).not.toContain("secretsmanager:DeleteSecret");
    const putEvents = statements.filter((s) => actionsOf([s]).includes("events:PutEvents"));
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]?.Resource).toEqual({ "Fn::GetAtt": [ids.bus, "Arn"] });
  });

  it("lets the issuing function read the keyring, its clients, the refresh secret and Upstash, and put events: it cannot write the keyring", () => {
    const keyring = KEYRING_SECRETS;
    const read = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];
    expect(statementsOf(ids.issuing).map((s) => [actionsOf([s]), s.Resource])).toEqual([
      [["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"], "*"],
      [["secretsmanager:GetSecretValue"], keyring],
      [read, { Ref: ids.clients }],
      [read, { Ref: ids.refresh }],
      [read, { Ref: ids.upstash }],
      [["events:PutEvents"], { "Fn::GetAtt": [ids.bus, "Arn"] }],
    ]);
    expect(environments(template)[ids.issuing]).toMatchObject({
      KEYWARD_SECRET_PREFIX: "keyward/test",
      KEYWARD_ISSUING_CLIENTS_SECRET_ID: { Ref: ids.clients },
      KEYWARD_REFRESH_SECRET_ID: { Ref: ids.refresh },
      KEYWARD_UPSTASH_SECRET_ID: { Ref: ids.upstash },
      KEYWARD_EVENT_BUS: { Ref: ids.bus },
      KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "86400",
    });
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [ids.issuing, "Arn"] },
    });
  });

  it("grants a team's own login function what keyward/issuer needs: reading the keyring", () => {
    const { stack, keyward, role: login } = withTeamRole("Login", "keyward/login");
    keyward.grantIssue(login);
    const statements = roleStatements(stack, login);
    expect(actionsOf(statements)).toEqual([
      "secretsmanager:BatchGetSecretValue",
      "secretsmanager:GetSecretValue",
      "secretsmanager:ListSecrets",
    ]);
    expect(JSON.stringify(statements)).toContain(":secret:keyward/login/*");
    expect(JSON.stringify(statements)).not.toContain("keyward/login-sessions");
  });

  it("grants a team's own function holding sessions what keyward/sessions needs: the sessions keyring and Upstash, never the signing keys", () => {
    const { stack, keyward, role: shop } = withTeamRole("Shop", "keyward/shop");
    keyward.grantSeal(shop);
    const statements = roleStatements(stack, shop);
    expect(actionsOf(statements)).toEqual([
      "secretsmanager:BatchGetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:GetSecretValue",
      "secretsmanager:ListSecrets",
    ]);
    const text = JSON.stringify(statements);
    expect(text).toContain(":secret:keyward/shop-sessions/*");
    expect(text).not.toContain(":secret:keyward/shop/*");
    expect(text).toContain(
      stack.getLogicalId(keyward.upstashSecret.node.defaultChild as CfnResource),
    );
  });

  it("gives the writers the sessions keyring's own policy, from the props, and refuses one the functions would refuse", () => {
    const env = environments(
      templateWith({
        sessions: {
          rotationPeriod: Duration.days(14),
          maxSessionLifetime: Duration.days(2),
          minGrace: Duration.days(3),
          retention: Duration.days(2),
        },
      }),
    );
    const writers = Object.values(env).filter(isWriter);
    expect(writers).toHaveLength(2);
    for (const vars of writers)
      expect(vars).toMatchObject({
        KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS: "14",
        KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS: "172800",
        KEYWARD_SESSIONS_MIN_GRACE_DAYS: "3",
        KEYWARD_SESSIONS_RETENTION_DAYS: "2",
      });
    // Verifiers never hear of session keys.
    const verifier = Object.values(env).find((vars) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars);
    expect(Object.keys(verifier ?? {}).some((name) => name.includes("SESSIONS"))).toBe(false);
    let error: unknown;
    try {
      templateWith({ sessions: { maxSessionLifetime: Duration.days(10) } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).problems).toEqual([
      "sessions.minGrace must be at least sessions.maxSessionLifetime, or live sessions would be refused",
    ]);
  });

  it("puts the ops API behind IAM auth on its Function URL", () => {
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [ids.ops, "Arn"] },
    });
  });

  it("runs the rotation function hourly, one at a time, retrying twice into a dead-letter queue", () => {
    expect(
      template.findResources("AWS::Lambda::Function")[ids.rotation]?.Properties
        .ReservedConcurrentExecutions,
    ).toBe(1);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [ids.rotation, "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [ids.dlq, "Arn"] } },
        }),
      ],
    });
  });

  it("grants the ops API and the rotation function exactly these actions on exactly these resources", () => {
    const keyring = KEYRING_SECRETS;
    const grants = (id: string) =>
      statementsOf(id).map((s) => [actionsOf([s]), s.Resource, s.Effect]);
    const write = [
      "secretsmanager:CreateSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:TagResource",
    ];
    const list = ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"];
    const readSecret = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];
    const bus = { "Fn::GetAtt": [ids.bus, "Arn"] };
    // Both keyrings, and only theirs.
    expect(grants(ids.ops)).toEqual([
      [list, "*", "Allow"],
      [write, [keyring, SESSION_SECRETS], "Allow"],
      [readSecret, { Ref: ids.upstash }, "Allow"],
      [readSecret, { Ref: ids.operators }, "Allow"],
      [["events:PutEvents"], bus, "Allow"],
    ]);
    expect(grants(ids.rotation)).toEqual([
      [list, "*", "Allow"],
      [[...write, "secretsmanager:DeleteSecret"].sort(), [keyring, SESSION_SECRETS], "Allow"],
      [readSecret, { Ref: ids.upstash }, "Allow"],
      [["events:PutEvents"], bus, "Allow"],
    ]);
  });

  it("lets only the rotation function delete key material", () => {
    expect(actionsOf(statementsOf(ids.rotation))).toContain("secretsmanager:DeleteSecret");
    for (const id of [ids.authorizer, ids.ops])
      expect(actionsOf(statementsOf(id))).not.toContain("secretsmanager:DeleteSecret");
    const putEvents = statementsOf(ids.rotation).filter((s) =>
      actionsOf([s]).includes("events:PutEvents"),
    );
    expect(putEvents.map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": [ids.bus, "Arn"] }]);
  });

  it("attaches the authorizer to a team's existing REST API (REQUEST) and HTTP API (payload 2.0, simple responses), caches off", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Team", { env: { account: "123456789012", region: "eu-west-1" } });
    const keyward = new Keyward(stack, "Keyward", {
      secretPrefix: "keyward/team",
      sampleApi: false,
    });
    const backend = new LambdaFunction(stack, "Backend", {
      runtime: Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: Code.fromInline("exports.handler = async () => ({ statusCode: 200 })"),
    });
    const rest = new RestApi(stack, "Rest", { cloudWatchRole: false });
    rest.root.addResource("orders").addMethod("GET", new LambdaIntegration(backend), {
      authorizer: keyward.restApiAuthorizer(stack, "KeywardRequest", {
        type: "request",
        header: "X-Token",
      }),
    });
    const http = new HttpApi(stack, "Http");
    http.addRoutes({
      path: "/orders",
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration("Orders", backend),
      authorizer: keyward.httpApiAuthorizer("KeywardHttp"),
    });
    const t = Template.fromStack(stack);
    const authorizerArn = {
      "Fn::GetAtt": [stack.getLogicalId(keyward.authorizer.node.defaultChild as never), "Arn"],
    };
    t.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "method.request.header.X-Token",
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        "Fn::Join": Match.arrayWith([Match.arrayWith([authorizerArn])]),
      }),
    });
    t.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      AuthorizationType: "CUSTOM",
    });
    t.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: ["$request.header.Authorization"],
    });
    t.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "GET /orders",
      AuthorizationType: "CUSTOM",
    });
    t.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: authorizerArn,
      Principal: "apigateway.amazonaws.com",
    });
  });

  it("refuses at synth an authorizer result cache over 1 s (it would outlive revocations), and takes 1 s", () => {
    expect(() => templateWith({ authorizerCacheTtl: Duration.seconds(5) })).toThrow(
      "resultsCacheTtl of 5 s is refused",
    );
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Cache", {
      env: { account: "123456789012", region: "eu-west-1" },
    });
    const keyward = new Keyward(stack, "Keyward", { authorizerCacheTtl: Duration.seconds(1) });
    expect(() =>
      keyward.httpApiAuthorizer("Slow", { resultsCacheTtl: Duration.minutes(5) }),
    ).toThrow("resultsCacheTtl of 300 s is refused");
    // The sample route follows the prop.
    Template.fromStack(stack).hasResourceProperties("AWS::ApiGateway::Authorizer", {
      AuthorizerResultTtlInSeconds: 1,
    });
  });

  it("gives every verifier setting to the authorizer (and iss/typ to the issuer) from props, and the attach methods its header", () => {
    const t = templateWith({
      issuer: "https://login.example",
      audience: "api",
      tokenType: "at+jwt",
      tokenHeader: "X-Token",
      tokenCookie: "session",
      clockTolerance: Duration.seconds(2),
      keyringMaxStale: Duration.minutes(5),
      unknownKidCooldown: Duration.seconds(30),
      unknownKidWait: Duration.millis(500),
      revocationBudget: Duration.millis(150),
      revocationFreshness: Duration.millis(250),
      revocationMirrorMaxRules: 50_000,
    });
    const verifiers = Object.values(environments(t)).filter(
      (vars) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars,
    );
    expect(verifiers).toHaveLength(2); // the authorizer and the issuing function
    for (const vars of verifiers)
      expect(vars).toMatchObject({
        KEYWARD_ISSUER: "https://login.example",
        KEYWARD_AUDIENCE: "api",
        KEYWARD_TOKEN_TYPE: "at+jwt",
        KEYWARD_TOKEN_HEADER: "X-Token",
        KEYWARD_TOKEN_COOKIE: "session",
        KEYWARD_CLOCK_TOLERANCE_SECONDS: "2",
        KEYWARD_KEYRING_MAX_STALE_SECONDS: "300",
        KEYWARD_UNKNOWN_KID_COOLDOWN_SECONDS: "30",
        KEYWARD_UNKNOWN_KID_WAIT_MS: "500",
        KEYWARD_REVOCATION_BUDGET_MS: "150",
        KEYWARD_REVOCATION_FRESHNESS_MS: "250",
        KEYWARD_REVOCATION_MIRROR_MAX_RULES: "50000",
      });
    expect(
      Object.values(environments(templateWith({ revocationMirror: false }))).find(
        (vars) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars,
      ),
    ).toMatchObject({ KEYWARD_REVOCATION_MIRROR: "off" });
    t.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      IdentitySource: "method.request.header.X-Token",
    });
  });

  it("refuses at synth a verifier setting the authorizer would refuse at start, naming the prop", () => {
    let error: unknown;
    try {
      templateWith({
        tokenHeader: "not a header",
        revocationBudget: Duration.millis(5),
        unknownKidWait: Duration.millis(1.5),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).problems).toEqual([
      "unknownKidWait must be a whole number of milliseconds",
      "tokenHeader must be an HTTP header name",
      expect.stringMatching(/^revocationBudget must be/),
    ]);
  });

  it("serves the public JWKS without credentials from a function that can only read the keyring", () => {
    expect(statementsOf(ids.jwks).map((s) => actionsOf([s]))).toEqual([
      ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
      ["secretsmanager:GetSecretValue"],
    ]);
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "NONE",
      TargetFunctionArn: { "Fn::GetAtt": [ids.jwks, "Arn"] },
    });
    expect(
      Object.values(template.findResources("AWS::Lambda::Url")).filter(
        (u) => u.Properties.AuthType === "NONE",
      ),
    ).toHaveLength(1);
    expect(environments(template)[ids.jwks]).toEqual({
      KEYWARD_SECRET_PREFIX: "keyward/test",
      KEYWARD_KEYRING_CACHE_TTL_SECONDS: "60",
    });
  });

  it("gives the edge Worker an IAM user that can only read the keyring, with no access key in the template", () => {
    const users = template.findResources("AWS::IAM::User");
    const [userId, ...others] = Object.keys(users);
    expect(others).toEqual([]);
    template.resourceCountIs("AWS::IAM::AccessKey", 0);
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) => JSON.stringify(policy.Properties.Users ?? []).includes(userId!))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Action: ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"],
        Effect: "Allow",
        Resource: "*",
      },
      { Action: "secretsmanager:GetSecretValue", Effect: "Allow", Resource: KEYRING_SECRETS },
    ]);
    expect(templateWith({ edgeReader: false }).findResources("AWS::IAM::User")).toEqual({});
  });

  it("lets the sample backend do nothing but write its logs", () => {
    expect(statementsOf(ids.sample)).toEqual([]);
  });

  it("puts the authorizer in front of the sample route with its result cache off (TTL 0)", () => {
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "TOKEN",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        "Fn::Join": Match.arrayWith([Match.arrayWith([{ "Fn::GetAtt": [ids.authorizer, "Arn"] }])]),
      }),
    });
    const [authorizerId] = Object.keys(template.findResources("AWS::ApiGateway::Authorizer"));
    template.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      AuthorizationType: "CUSTOM",
      AuthorizerId: { Ref: authorizerId },
      Integration: Match.objectLike({ Type: "AWS_PROXY" }),
    });
    template.hasResourceProperties("AWS::ApiGateway::Resource", { PathPart: "hello" });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: { "Fn::GetAtt": [ids.authorizer, "Arn"] },
      Principal: "apigateway.amazonaws.com",
    });
    templateWith({ sampleApi: false }).resourceCountIs("AWS::ApiGateway::RestApi", 0);
  });

  it("alarms when a previous key still has over 10 % of verifications past its 7-day minimum grace", () => {
    expect(alarm("PreviousKeyLingering")).toMatchObject({
      Namespace: "keyward",
      MetricName: "PreviousKeyShareAfterMinGrace",
      Dimensions: [{ Name: "Function", Value: "rotation" }],
      Statistic: "Maximum",
      Period: 3600,
      Threshold: 10,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
  });

  it("alarms when the share of refused requests is twice its usual, for 15 minutes", () => {
    const props = alarm("RefusalsAboveUsual");
    expect(props).toMatchObject({
      Threshold: 4,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    const queries = props.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Stat: string };
    }[];
    expect(queries.find((q) => q.Expression !== undefined)?.Expression).toBe(
      "IF(requests >= 100, 100 * FILL(refused, 0) / requests, 0)",
    );
    expect(queries.find((q) => q.Id === "refused")?.MetricStat).toMatchObject({
      Metric: {
        MetricName: "Requests",
        Dimensions: expect.arrayContaining([{ Name: "Outcome", Value: "deny" }]),
      },
      Stat: "Sum",
      Period: 300,
    });
    const other = templateWith({ usualRefusalPercent: 5 });
    other.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmDescription: Match.stringLikeRegexp("usual: 5 %"),
      Threshold: 10,
    });
  });

  it("alarms on a failed rotation, a crashed or dead-lettered tick, a stale keyring, a stale signer, and revocation-store failures", () => {
    expect(alarm("RotationFailed")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "RotationFailed" }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    const errors = alarm("RotationErrors").Metrics as { Expression?: string }[];
    // Missing data in one series (an idle queue) must not hide the other.
    expect(errors.find((q) => q.Expression !== undefined)?.Expression).toBe(
      "FILL(errors, 0) + FILL(deadLetters, 0)",
    );
    expect(JSON.stringify(errors)).toContain('"MetricName":"Errors"');
    expect(JSON.stringify(errors)).toContain('"MetricName":"ApproximateNumberOfMessagesVisible"');
    expect(alarm("StaleKeyring")).toMatchObject({
      MetricName: "StaleKeyring",
      Dimensions: [{ Name: "Function", Value: "authorizer" }],
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
    });
    expect(alarm("StaleSigner")).toMatchObject({
      MetricName: "Events",
      Dimensions: [{ Name: "Type", Value: "StaleSigner" }],
      Threshold: 1,
    });
    expect(alarm("RevocationStoreFailures")).toMatchObject({
      MetricName: "RevocationStoreUnavailable",
      Dimensions: [{ Name: "Function", Value: "authorizer" }],
      Threshold: 1,
    });
  });

  it("alarms when the rotation function finds that Upstash may evict keys", () => {
    expect(alarm("UpstashEvicts")).toMatchObject({
      MetricName: "UpstashEvicts",
      Dimensions: [{ Name: "Function", Value: "rotation" }],
      Statistic: "Maximum",
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
  });

  it("sends every alarm, and every RotationFailed and StaleSigner event, to the alarm topic", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(8);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: ids.topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: ids.topic }]);
    }
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: ids.bus },
      EventPattern: { source: ["keyward"], "detail-type": ["RotationFailed", "StaleSigner"] },
      Targets: [Match.objectLike({ Arn: { Ref: ids.topic } })],
    });
  });

  it("uses the alarm topic it is given instead of its own", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Given", {
      env: { account: "123456789012", region: "eu-west-1" },
    });
    const topic = Topic.fromTopicArn(stack, "Ops", "arn:aws:sns:eu-west-1:123456789012:ops-pager");
    new Keyward(stack, "Keyward", { alarmTopic: topic });
    const t = Template.fromStack(stack);
    t.resourceCountIs("AWS::SNS::Topic", 0);
    for (const a of Object.values(t.findResources("AWS::CloudWatch::Alarm")))
      expect(a.Properties.AlarmActions).toEqual(["arn:aws:sns:eu-west-1:123456789012:ops-pager"]);
  });

  it("draws the dashboard: verifications by key status, refusals by reason, revocations, rotation events, store latency", () => {
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      "Verifications by key status",
      "Refusals by reason",
      "Revocations",
      "Rotation events",
      "Store latency",
      "keyward alarms",
    ])
      expect(body).toContain(title);
    expect(body).toContain("RevocationLatency");
    expect(body).toContain("AND NOT Reason=");
  });

  it("keeps the secrets when the stack goes, and has no teardown, by default", () => {
    for (const id of [ids.upstash, ids.operators, ids.clients, ids.refresh]) {
      expect(template.findResources("AWS::SecretsManager::Secret")[id]).toMatchObject({
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
      });
    }
    expect(template.findResources("Custom::KeywardKeyringSecrets")).toEqual({});
  });

  it("with removalPolicy DESTROY, deletes its secrets and the keyring's (a teardown that may delete only under the prefix)", () => {
    const t = templateWith({ removalPolicy: RemovalPolicy.DESTROY });
    const secrets = Object.values(t.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(4);
    for (const secret of secrets) expect(secret).toMatchObject({ DeletionPolicy: "Delete" });
    const [teardown, ...more] = Object.values(t.findResources("Custom::KeywardKeyringSecrets"));
    expect(more).toEqual([]);
    expect(teardown).toMatchObject({ Properties: { prefix: "keyward/other" } });
    const [fnId] = Object.entries(environments(t)).find(
      ([, vars]) =>
        Object.keys(vars).length === 1 && vars.KEYWARD_SECRET_PREFIX === "keyward/other",
    ) ?? ["no teardown function"];
    // Its deletes are scoped to the prefix, like the rotation function's.
    const deletes = statementsOf(fnId, t).filter((statement) =>
      JSON.stringify(statement.Action).includes("secretsmanager:DeleteSecret"),
    );
    expect(deletes).toHaveLength(1);
    expect(JSON.stringify(deletes[0]?.Resource)).toContain(":secret:keyward/other/*");
    expect(JSON.stringify(deletes[0]?.Resource)).toContain(":secret:keyward/other-sessions/*");
  });

  it("refuses a removal policy secrets cannot have", () => {
    expect(() => templateWith({ removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      "removalPolicy must be RETAIN or DESTROY",
    );
  });
});

describe("the ready stack", () => {
  it("takes every setting from CDK context", () => {
    const app = new App({
      context: {
        "aws:cdk:bundling-stacks": [],
        "keyward:stackName": "KeywardStaging",
        "keyward:secretPrefix": "keyward/staging",
        "keyward:rotationPeriodDays": "30",
        "keyward:maxTokenLifetimeSeconds": "3600",
        "keyward:sampleApi": "false",
        "keyward:alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager",
        "keyward:upstashSecretArn":
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
        "keyward:audience": "api",
        "keyward:revocationBudgetMs": "200",
        "keyward:revocationFreshnessMs": "800",
        "keyward:clockToleranceSeconds": "3",
        "keyward:removalPolicy": "destroy",
        "keyward:sessionsRotationPeriodDays": "14",
        "keyward:sessionsMaxLifetimeSeconds": "86400",
      },
    });
    const { stack } = keywardStackFromContext(app);
    expect(stack.stackName).toBe("KeywardStaging");
    const t = Template.fromStack(stack);
    const writers = Object.values(environments(t)).filter(isWriter);
    for (const vars of writers) {
      expect(vars).toMatchObject({
        KEYWARD_SECRET_PREFIX: "keyward/staging",
        KEYWARD_ROTATION_PERIOD_DAYS: "30",
        KEYWARD_MAX_TOKEN_LIFETIME_SECONDS: "3600",
        KEYWARD_UPSTASH_SECRET_ID:
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
        KEYWARD_SESSIONS_ROTATION_PERIOD_DAYS: "14",
        KEYWARD_SESSIONS_MAX_LIFETIME_SECONDS: "86400",
      });
    }
    const authorizer = Object.values(environments(t)).find(
      (vars) => "KEYWARD_REVOCATION_FAILURE_MODE" in vars,
    );
    expect(authorizer).toMatchObject({
      KEYWARD_AUDIENCE: "api",
      KEYWARD_REVOCATION_BUDGET_MS: "200",
      KEYWARD_REVOCATION_FRESHNESS_MS: "800",
      KEYWARD_CLOCK_TOLERANCE_SECONDS: "3",
    });
    t.resourceCountIs("AWS::ApiGateway::RestApi", 0);
    t.resourceCountIs("AWS::SNS::Topic", 0);
    // Operators, issuing clients (both filled after deploy) and the generated refresh secret.
    t.resourcePropertiesCountIs("AWS::SecretsManager::Secret", {}, 3);
    for (const secret of Object.values(t.findResources("AWS::SecretsManager::Secret")))
      expect(secret).toMatchObject({ DeletionPolicy: "Delete" });
    t.resourceCountIs("Custom::KeywardKeyringSecrets", 1);
    expect(Object.keys(t.findOutputs("*")).sort()).toEqual([
      "AlarmTopic",
      "AuthorizerArn",
      "Dashboard",
      "EdgeReaderUser",
      "IssuingClientsSecret",
      "IssuingUrl",
      "JwksUrl",
      "OperatorsSecret",
      "OpsApiFunctionArn",
      "OpsApiUrl",
      "UpstashSecret",
    ]);
    t.hasOutput("AlarmTopic", { Value: "arn:aws:sns:eu-west-1:123456789012:pager" });
    t.hasOutput("UpstashSecret", {
      Value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstash-AbCdEf",
    });
  });

  it("outputs where the ops API, the sample route, the alarm topic and the dashboard are", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const t = Template.fromStack(keywardStackFromContext(app).stack);
    expect(Object.keys(t.findOutputs("*")).sort()).toEqual([
      "AlarmTopic",
      "AuthorizerArn",
      "Dashboard",
      "EdgeReaderUser",
      "IssuingClientsSecret",
      "IssuingUrl",
      "JwksUrl",
      expect.stringMatching(/^KeywardSampleApiEndpoint/), // RestApi's own, the stage's base URL
      "OperatorsSecret",
      "OpsApiFunctionArn",
      "OpsApiUrl",
      "SampleRoute",
      "UpstashSecret",
    ]);
    const urls = Object.keys(t.findResources("AWS::Lambda::Url"));
    const output = (name: string) =>
      (
        (t.findOutputs(name)[name]?.Value ?? { "Fn::GetAtt": ["", ""] }) as {
          "Fn::GetAtt": [string, string];
        }
      )["Fn::GetAtt"];
    expect(
      [output("OpsApiUrl"), output("IssuingUrl")].map(([id, attribute]) => [
        urls.includes(id),
        attribute,
      ]),
    ).toEqual([
      [true, "FunctionUrl"],
      [true, "FunctionUrl"],
    ]);
    expect(output("OpsApiUrl")[0]).not.toBe(output("IssuingUrl")[0]);
  });

  it("outputs every secret to fill by name and the functions' ARNs, each the resource it names", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const { stack, keyward } = keywardStackFromContext(app);
    const t = Template.fromStack(stack);
    const value = (name: string) => t.findOutputs(name)[name]?.Value;
    const id = (construct: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(construct.node.defaultChild as never);
    expect(value("UpstashSecret")).toEqual({ Ref: id(keyward.upstashSecret as never) });
    expect(value("OperatorsSecret")).toEqual({ Ref: id(keyward.operatorsSecret as never) });
    expect(value("IssuingClientsSecret")).toEqual({
      Ref: id(keyward.issuingClientsSecret as never),
    });
    expect(value("AuthorizerArn")).toEqual({ "Fn::GetAtt": [id(keyward.authorizer), "Arn"] });
    expect(value("OpsApiFunctionArn")).toEqual({ "Fn::GetAtt": [id(keyward.opsApi), "Arn"] });
  });

  describe("the README's deploy, rehearsed against the synthesized stack", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const deploying = readme.slice(readme.indexOf("## Deploying"), readme.indexOf("### Alarms"));
    const deployCommand = /npx cdk deploy((?: -c keyward:\w+=\S+)+)/.exec(deploying);
    const context = Object.fromEntries(
      [...(deployCommand?.[1] ?? "").matchAll(/-c (keyward:\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
    );
    const synth = () => {
      const app = new App({ context: { "aws:cdk:bundling-stacks": [], ...context } });
      const { stack } = keywardStackFromContext(app);
      return { stack, t: Template.fromStack(stack) };
    };

    it("deploys with the context the README gives (stack name and prefix)", () => {
      expect(context).toMatchObject({
        "keyward:stackName": expect.any(String),
        "keyward:secretPrefix": expect.any(String),
      });
      expect(synth().stack.stackName).toBe(context["keyward:stackName"]);
    });

    it("reads only outputs that exist, anywhere in the README, from the stack it deployed", () => {
      // The whole README: the edge verifier's section reads an output too.
      const named = [...readme.matchAll(/\$\(out ([A-Za-z]+)\)/g)].map((m) => m[1]);
      expect(named.length).toBeGreaterThanOrEqual(5);
      const outputs = Object.keys(synth().t.findOutputs("*"));
      for (const name of new Set(named)) expect(outputs, name).toContain(name);
      for (const m of deploying.matchAll(/--stack-name (\S+)/g))
        expect(m[1]).toBe(context["keyward:stackName"]);
    });

    it("tells the operator to fill every secret the stack leaves empty, through its output", () => {
      const { t } = synth();
      // Every secret but the generated refresh secret says so in its description.
      const secrets = Object.entries(t.findResources("AWS::SecretsManager::Secret"));
      const toFill = secrets
        .filter(([, secret]) =>
          String(secret.Properties.Description).includes("fill in after deploy"),
        )
        .map(([id]) => id);
      expect([toFill.length, secrets.length]).toEqual([3, 4]);
      // Not a random string that looks like a value: a text every function refuses at start.
      for (const [id, secret] of secrets.filter(([id]) => toFill.includes(id))) {
        expect(secret.Properties, id).toMatchObject({ SecretString: UNFILLED_SECRET });
        expect(secret.Properties.GenerateSecretString, id).toBeUndefined();
      }
      const filled = [
        ...deploying.matchAll(/put-secret-value --secret-id "\$\(out ([A-Za-z]+)\)"/g),
      ].map((m) => m[1]!);
      const outputs = t.findOutputs("*");
      const filledIds = filled.map(
        (name) => (outputs[name]?.Value as { Ref?: string } | undefined)?.Ref,
      );
      expect(filledIds.sort()).toEqual(toFill.sort());
    });

    it("deletes by hand, on teardown, exactly the prefix the stack's functions write", () => {
      const listed = [...deploying.matchAll(/list-secrets --filters Key=name,Values=(\S+)/g)].map(
        (m) => m[1],
      );
      expect(listed).toEqual([
        `${context["keyward:secretPrefix"]}/`,
        `${context["keyward:secretPrefix"]}-sessions/`,
      ]);
      const writers = Object.values(environments(synth().t)).filter(isWriter);
      for (const vars of writers)
        expect(vars.KEYWARD_SECRET_PREFIX).toBe(context["keyward:secretPrefix"]);
    });

    it("gives non-CDK users the same IAM policy as grantOperate", () => {
      const policyText = /```json\n([\s\S]*?)```/.exec(deploying)?.[1] ?? "{}";
      const policy = JSON.parse(policyText) as {
        Statement: { Action: string; Resource: string; Condition: unknown }[];
      };
      expect(
        policy.Statement.map(({ Action, Resource, Condition }) => ({
          Action,
          Resource,
          Condition,
        })),
      ).toEqual([
        {
          Action: "lambda:InvokeFunctionUrl",
          Resource: "<OpsApiFunctionArn output>",
          Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
        },
        {
          Action: "lambda:InvokeFunction",
          Resource: "<OpsApiFunctionArn output>",
          Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
        },
      ]);
      expect(Object.keys(synth().t.findOutputs("*"))).toContain("OpsApiFunctionArn");
    });
  });

  it("grants an operator's role what the ops API's IAM auth asks: invoking its function through the URL, nothing else", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Ops", { env: { account: "123456789012", region: "eu-west-1" } });
    const keyward = new Keyward(stack, "Keyward", { secretPrefix: "keyward/ops" });
    const role = new Role(stack, "OnCall", {
      assumedBy: new ServicePrincipal("ec2.amazonaws.com"),
    });
    keyward.grantOperate(role);
    expect(roleStatements(stack, role)).toEqual([
      {
        Action: "lambda:InvokeFunctionUrl",
        Effect: "Allow",
        Resource: {
          "Fn::GetAtt": [stack.getLogicalId(keyward.opsApi.node.defaultChild as never), "Arn"],
        },
        Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
      },
      // Function URLs also ask for InvokeFunction, limited to calls through the URL.
      {
        Action: "lambda:InvokeFunction",
        Effect: "Allow",
        Resource: {
          "Fn::GetAtt": [stack.getLogicalId(keyward.opsApi.node.defaultChild as never), "Arn"],
        },
        Condition: { Bool: { "lambda:InvokedViaFunctionUrl": true } },
      },
    ]);
  });

  it("takes the authorizer's result cache from context, and refuses a removal policy it does not know", () => {
    const cached = new App({
      context: { "aws:cdk:bundling-stacks": [], "keyward:authorizerCacheTtlSeconds": "1" },
    });
    Template.fromStack(keywardStackFromContext(cached).stack).hasResourceProperties(
      "AWS::ApiGateway::Authorizer",
      { AuthorizerResultTtlInSeconds: 1 },
    );
    const snapshot = new App({
      context: { "aws:cdk:bundling-stacks": [], "keyward:removalPolicy": "snapshot" },
    });
    expect(() => keywardStackFromContext(snapshot)).toThrow(
      'context keyward:removalPolicy must be "retain" or "destroy"',
    );
  });

  it("names a context value that is not a number", () => {
    const app = new App({ context: { "keyward:retentionDays": "a week" } });
    expect(() => keywardStackFromContext(app)).toThrow(
      "context keyward:retentionDays must be a number",
    );
  });
});
