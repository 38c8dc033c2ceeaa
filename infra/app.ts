import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { keywardStackFromContext } from "./stack.ts";

/**
 * The CDK app of cdk.json: `npm run synth`, or `npx cdk deploy` with AWS credentials. cdk-nag's
 * AwsSolutions and Serverless packs check every synth: a finding keyward has not fixed or
 * acknowledged with a reason (infra/nag.ts) fails it.
 */
const app = new App();
keywardStackFromContext(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
