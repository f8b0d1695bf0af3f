// Child process: the fallback load generator. argv[2] is JSON
// { port, path, frame (base64), requests, clients, streams }; prints a JSON result.
import { Buffer } from "node:buffer";
import http2 from "node:http2";

const { port, path, frame: frameBase64, requests, clients, streams } = JSON.parse(process.argv[2]);
const frame = Buffer.from(frameBase64, "base64");
const headers = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };

let started = 0;
let succeeded = 0;
let failed = 0;

function callLoop(session, done) {
  if (started >= requests) return done();
  started++;
  const stream = session.request(headers);
  let status;
  stream.on("response", (h) => (status ??= h["grpc-status"]));
  stream.on("trailers", (t) => (status ??= t["grpc-status"]));
  stream.on("data", () => {});
  stream.on("close", () => {
    if (status === "0") succeeded++;
    else failed++;
    callLoop(session, done);
  });
  stream.end(frame);
}

const sessions = await Promise.all(
  Array.from({ length: clients }, () => new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`, { peerMaxConcurrentStreams: streams });
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  })),
);
const begin = process.hrtime.bigint();
await Promise.all(sessions.flatMap((session) => Array.from({ length: streams }, () => new Promise((done) => callLoop(session, done)))));
const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
for (const session of sessions) session.close();
process.stdout.write(JSON.stringify({ reqPerSec: requests / seconds, succeeded, failed }));
