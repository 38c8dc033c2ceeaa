/**
 * The cold-start peer: a Lambda authorizer as aws-jwt-verify's documentation writes one (the JWKS
 * fetched during init by `hydrate`, then `verify` per event). aws-jwt-verify fetches over
 * `node:https`; the benchmark's JWKS is served over plain HTTP, as keyward's local services are,
 * so its fetcher makes the same request over `node:http`.
 */
import { request } from "node:http";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const fetcher = {
  fetch: (uri: string) =>
    new Promise<ArrayBuffer>((resolve, reject) => {
      request(uri, { method: "GET" }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          if (response.statusCode !== 200)
            reject(new Error(`JWKS answered ${response.statusCode}`));
          else resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        });
      })
        .on("error", reject)
        .end();
    }),
};

const verifier = JwtVerifier.create(
  {
    issuer: process.env.BENCH_ISSUER as string,
    audience: null,
    jwksUri: process.env.BENCH_JWKS_URL as string,
  },
  { jwksCache: new SimpleJwksCache({ fetcher }) },
);
await verifier.hydrate();

export const handler = async (event: { authorizationToken: string; methodArn: string }) => {
  const payload = await verifier.verify(event.authorizationToken.replace(/^Bearer /, ""));
  return {
    principalId: payload.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
    },
  };
};
