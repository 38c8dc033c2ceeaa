import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { Keyward, type KeywardProps } from "../../infra/keyward.ts";
import { keywardStackFromContext } from "../../infra/stack.ts";
import { TEST_ENV } from "../support/templates.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** An app with cdk-nag's AwsSolutions and Serverless packs, synthesized; the templates' folder. */
function synthesizedWithNag(build: (app: App) => void): string {
  const outdir = mkdtempSync(join(tmpdir(), "keyward-nag-"));
  outdirs.push(outdir);
  const app = new App({ outdir });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  // A finding neither fixed nor acknowledged with its reason fails the synth, naming it.
  app.synth();
  return outdir;
}

/** cfn-lint (installed in .venv like moto) on every template of `outdir`; its errors only. */
function cfnLintErrors(outdir: string): string {
  const templates = readdirSync(outdir)
    .filter((file) => file.endsWith(".template.json"))
    .map((file) => join(outdir, file));
  expect(templates.length).toBeGreaterThan(0);
  const run = spawnSync(join(ROOT, ".venv/bin/cfn-lint"), ["--format", "parseable", ...templates], {
    encoding: "utf8",
  });
  // cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
  expect(run.status === null ? -1 : run.status & 2, run.stdout + run.stderr).toBe(0);
  return run.stdout
    .split("\n")
    .filter((line) => /:E\d{4}:/.test(line))
    .join("\n");
}

const variants: [string, (app: App) => void][] = [
  ["the ready stack as cdk.json configures it", (app) => void keywardStackFromContext(app)],
  [
    "everything on: ES256 with the public JWKS, the sample API, a teardown, a KMS key, a team's grants",
    (app) => {
      const stack = new Stack(app, "Everything", { env: TEST_ENV });
      const key = new Key(stack, "KeyringKey", { enableKeyRotation: true });
      const props: KeywardProps = {
        algorithm: "ES256",
        sampleApi: true,
        removalPolicy: RemovalPolicy.DESTROY,
        encryptionKey: key,
        authorizerReservedConcurrency: 50,
        tickEvery: Duration.minutes(30),
      };
      const keyward = new Keyward(stack, "Keyward", props);
      const team = new Role(stack, "TeamLogin", {
        assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      });
      keyward.grantIssue(team);
      keyward.grantSeal(team);
      keyward.grantOperate(team);
    },
  ],
  [
    "signing keys in KMS, with a team's login function and a regional endpoint as issuers",
    (app) => {
      app.node.setContext("keyward:region", "eu-west-1");
      app.node.setContext("keyward:algorithm", "ES256");
      app.node.setContext("keyward:signingKeys", "kms");
      app.node.setContext("keyward:replicaRegions", "us-east-1");
      app.node.setContext("keyward:regionalIssuers", "us-east-1");
      const { stack, keyward } = keywardStackFromContext(app);
      keyward.grantIssue(
        new Role(stack, "TeamLogin", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") }),
      );
    },
  ],
  [
    "several regions: replicas, a regional verifier with an issuer",
    (app) => {
      app.node.setContext("keyward:region", "eu-west-1");
      app.node.setContext("keyward:replicaRegions", "us-east-1");
      app.node.setContext("keyward:regionalIssuers", "us-east-1");
      keywardStackFromContext(app);
    },
  ],
];

describe("the templates security teams check", () => {
  for (const [name, build] of variants) {
    it(`${name}: no unacknowledged cdk-nag finding (AwsSolutions, Serverless), no cfn-lint error`, () => {
      const outdir = synthesizedWithNag(build);
      expect(cfnLintErrors(outdir)).toBe("");
    });
  }
});
