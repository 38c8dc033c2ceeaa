// A team's own CDK app: its REST API and HTTP API, protected by keyward's authorizer.
import { App, Stack } from "aws-cdk-lib";
import { LambdaIntegration, RestApi } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { Keyward, keywardOutputs } from "keyward/cdk";

const app = new App({ outdir: process.argv[2] ?? "cdk.out" });
const stack = new Stack(app, "Shop", { env: { region: "eu-west-1" } });
const keyward = new Keyward(stack, "Keyward", { issuer: "https://login.shop.example" });
keywardOutputs(stack, keyward);

const orders = new LambdaFunction(stack, "Orders", {
  runtime: Runtime.NODEJS_22_X,
  handler: "index.handler",
  code: Code.fromInline("exports.handler = async () => ({ statusCode: 200, body: '[]' })"),
});
const rest = new RestApi(stack, "ShopApi", { cloudWatchRole: false });
rest.root.addResource("orders").addMethod("GET", new LambdaIntegration(orders), {
  authorizer: keyward.restApiAuthorizer(stack, "OrdersAuthorizer"),
});
const http = new HttpApi(stack, "ShopHttpApi");
http.addRoutes({
  path: "/orders",
  methods: [HttpMethod.GET],
  integration: new HttpLambdaIntegration("OrdersIntegration", orders),
  authorizer: keyward.httpApiAuthorizer("OrdersHttpAuthorizer"),
});
app.synth();
