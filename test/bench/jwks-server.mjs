// The cold-start peer's identity provider: serves BENCH_JWKS as JSON on 127.0.0.1:BENCH_PORT,
// a service of its own (pinned beside keyward's services, see scripts/bench.mjs).
import { createServer } from "node:http";

const body = process.env.BENCH_JWKS ?? '{"keys":[]}';
createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(body);
}).listen(Number(process.env.BENCH_PORT), "127.0.0.1");
