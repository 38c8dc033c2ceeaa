import { App, Duration, Stack } from "aws-cdk-lib";
import { Keyward } from "./keyward.ts";

/** The ready stack: `npm run synth`, or `npx cdk deploy` with AWS credentials. Settings as CDK context (cdk.json, -c). */
const app = new App();
const context = (name: string) =>
  app.node.tryGetContext(`keyward:${name}`) as string | number | undefined;
const stack = new Stack(app, String(context("stackName") ?? "Keyward"), {
  description: "keyward: JWT key rotation and token revocation",
});
new Keyward(stack, "Keyward", {
  secretPrefix: String(context("secretPrefix") ?? "keyward/prod"),
  algorithm: (context("algorithm") ?? "HS256") as "HS256",
  failureMode: (context("failureMode") ?? "closed") as "closed",
  maxTokenLifetime: Duration.seconds(Number(context("maxTokenLifetimeSeconds") ?? 86_400)),
});
app.synth();
