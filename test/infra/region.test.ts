import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { Keyward } from "../../infra/keyward.ts";
import { KeywardRegion } from "../../infra/region.ts";
import { REGIONS_WITHOUT_FUNCTION_URLS } from "../../infra/regions.ts";
import { keywardStackFromContext } from "../../infra/stack.ts";
import { environments, isWriter, logicalId, statementsOf, TEST_ENV } from "../support/templates.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

describe("regions", () => {
  it("knows every region without Lambda function URLs, as cfn-lint's region data says", () => {
    const dir = join(ROOT, ".venv/lib");
    const python = readdirSync(dir).find((d) => d.startsWith("python"));
    const providers = join(dir, python ?? "", "site-packages/cfnlint/data/schemas/providers");
    const without = readdirSync(providers)
      .filter((file) => /^[a-z]{2}(-[a-z]+)+-\d\.json$/.test(file))
      .filter((file) => !readFileSync(join(providers, file), "utf8").includes("AWS::Lambda::Url"))
      .map((file) => file.replace(/\.json$/, ""))
      .sort();
    expect([...REGIONS_WITHOUT_FUNCTION_URLS].sort()).toEqual(without);
  });

  it("refuses to put the stack in such a region, naming the way out", () => {
    const app = new App();
    const stack = new Stack(app, "Uae", {
      env: { account: TEST_ENV.account, region: "me-central-1" },
    });
    expect(() => new Keyward(stack, "Keyward")).toThrow(
      /cannot be created in me-central-1: Lambda function URLs .* do not exist there\. Deploy it in a region that has them .* and add me-central-1 to replicaRegions/,
    );
  });
});

describe("several regions (replicaRegions)", () => {
  const app = new App({
    context: {
      "keyward:region": "eu-west-1",
      "keyward:replicaRegions": "us-east-1,me-central-1",
      "keyward:regionalIssuers": "us-east-1",
    },
  });
  const { stack, keyward, regions } = keywardStackFromContext(app);
  const main = Template.fromStack(stack);

  it("replicates every keyring secret the writers create, and what the regional verifiers read, to each region", () => {
    for (const vars of Object.values(environments(main)).filter(isWriter))
      expect(vars).toMatchObject({ KEYWARD_REPLICA_REGIONS: "us-east-1,me-central-1" });
    const rotation = statementsOf(main, logicalId(stack, keyward.rotation));
    const replicates = JSON.stringify(
      rotation.find((s) => s.Action === "secretsmanager:ReplicateSecretToRegions")?.Resource,
    );
    expect(replicates).toContain(":secret:keyward/Keyward/*");
    expect(replicates).toContain(":secret:keyward/Keyward-sessions/*");
    const replicated = Object.values(main.findResources("AWS::SecretsManager::Secret")).filter(
      (s) => s.Properties.ReplicaRegions !== undefined,
    );
    expect(replicated.map((s) => s.Properties.Name).sort()).toEqual([
      "keyward/Keyward-config/issuing-clients",
      "keyward/Keyward-config/refresh",
      "keyward/Keyward-config/upstash-issuer",
      "keyward/Keyward-config/upstash-reader",
    ]);
    for (const secret of replicated)
      expect(secret.Properties.ReplicaRegions).toEqual([
        { Region: "us-east-1" },
        { Region: "me-central-1" },
      ]);
  });

  it("adds a regional verifier stack per region: an authorizer reading its region's replica, and an issuer where asked (never where function URLs do not exist)", () => {
    expect(regions.map((r) => [r.stackName, r.region])).toEqual([
      ["Keyward-us-east-1", "us-east-1"],
      ["Keyward-me-central-1", "me-central-1"],
    ]);
    const [us, me] = regions.map((r) => Template.fromStack(r));
    for (const [t, region] of [
      [us, "us-east-1"],
      [me, "me-central-1"],
    ] as const) {
      const authorizer = Object.entries(environments(t as Template)).find(
        ([, vars]) => vars.KEYWARD_UPSTASH_SECRET_ID === "keyward/Keyward-config/upstash-reader",
      );
      expect(authorizer?.[1]).toMatchObject({
        KEYWARD_SECRET_PREFIX: "keyward/Keyward",
        KEYWARD_REDIS_PREFIX: "kw:",
      });
      const reads = JSON.stringify(
        statementsOf(t as Template, authorizer?.[0] ?? "").find(
          (s) => s.Action === "secretsmanager:GetSecretValue",
        )?.Resource,
      );
      expect(reads).toContain(`:secretsmanager:${region}:`);
      expect(reads).toContain(":secret:keyward/Keyward/*");
    }
    us?.resourceCountIs("AWS::Lambda::Url", 1);
    me?.resourceCountIs("AWS::Lambda::Url", 0);
    expect(regions[0]?.issuing).toBeDefined();
  });

  it("refuses a regional stack in a region the deployment does not replicate to, and an issuer where function URLs do not exist", () => {
    expect(
      () =>
        new KeywardRegion(app, "Tokyo", {
          keyward,
          env: { account: TEST_ENV.account, region: "ap-northeast-1" },
        }),
    ).toThrow(
      /not among the deployment's replicaRegions \(us-east-1, me-central-1\): add it there first/,
    );
    expect(
      () =>
        new KeywardRegion(app, "UaeIssuer", {
          keyward,
          issuer: true,
          env: { account: TEST_ENV.account, region: "me-central-1" },
        }),
    ).toThrow(/the issuing endpoint of UaeIssuer cannot be created in me-central-1/);
  });
});
