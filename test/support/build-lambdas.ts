import { buildLambdas } from "../../scripts/build-lambdas.mjs";

/** The infra suite synthesizes the functions' prebuilt code: build it once, before it runs. */
export default async function setup(): Promise<void> {
  await buildLambdas();
}
