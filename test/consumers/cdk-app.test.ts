import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NODES, useConsumer } from "../support/consumers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const consumer = useConsumer("cdk-app", {
  "aws-cdk-lib": "2.276.0",
  constructs: "10.8.1",
  typescript: "5.9.3",
  "@types/node": "22.20.5",
});

describe("a team's CDK app in TypeScript, with keyward/cdk from the tarball", () => {
  it("type-checks under moduleResolution node16 and bundler", async () => {
    const tsc = join(consumer.dir, "node_modules/.bin/tsc");
    for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
      const checked = await consumer.run(tsc, ["-p", config]);
      expect({ config, ...checked }).toMatchObject({ config, code: 0, stdout: "" });
    }
  });

  it.each(Object.entries(NODES))(
    "synthesizes on Node %s: its REST and HTTP APIs behind keyward's authorizer, cfn-lint clean",
    async (_, node) => {
      const outdir = join(consumer.dir, `cdk.out.${node.replaceAll("/", "_")}`);
      const synth = await consumer.node("dist/app.js", { args: [outdir], node });
      expect(synth, synth.stderr).toMatchObject({ code: 0 });
      const path = join(outdir, "Shop.template.json");
      const template = JSON.parse(readFileSync(path, "utf8")) as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      };
      const ofType = (type: string) =>
        Object.values(template.Resources).filter((r) => r.Type === type);
      expect(ofType("AWS::ApiGateway::Authorizer")).toMatchObject([
        { Properties: { Type: "TOKEN", AuthorizerResultTtlInSeconds: 0 } },
      ]);
      expect(ofType("AWS::ApiGatewayV2::Authorizer")).toMatchObject([
        { Properties: { AuthorizerPayloadFormatVersion: "2.0", AuthorizerResultTtlInSeconds: 0 } },
      ]);
      // keyward's functions deploy the code prebuilt in the package, nothing of a checkout.
      const assets = readFileSync(join(outdir, "Shop.assets.json"), "utf8");
      expect(assets).not.toContain(ROOT);
      expect(
        existsSync(join(consumer.dir, "node_modules/keyward/dist/lambda/authorizer/index.mjs")),
      ).toBe(true);
      const lint = spawnSync(join(ROOT, ".venv/bin/cfn-lint"), ["--format", "parseable", path], {
        encoding: "utf8",
      });
      // cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
      expect((lint.status ?? -1) & 2, lint.stdout + lint.stderr).toBe(0);
    },
  );
});
