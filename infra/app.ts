import { App } from "aws-cdk-lib";
import { keywardStackFromContext } from "./stack.ts";

/** The CDK app of cdk.json: `npm run synth`, or `npx cdk deploy` with AWS credentials. */
const app = new App();
keywardStackFromContext(app);
app.synth();
