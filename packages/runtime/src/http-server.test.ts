import * as http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { listenHttp, remoteAddressOf, type HttpListener } from "./http-server.js";

let listener: HttpListener | undefined;
afterEach(async () => listener?.close(100));

describe("remoteAddressOf", () => {
  it("when a request arrives over HTTP/2 or HTTP/1.1 then its peer address is known", async () => {
    const seen: (string | undefined)[] = [];
    listener = await listenHttp(
      (req, res) => {
        seen.push(remoteAddressOf(req));
        res.end("ok");
      },
      "0.0.0.0",
      0,
    );
    const port = listener.port;
    const session = http2.connect(`http://127.0.0.1:${port}`, {
      localAddress: "127.0.0.9",
    } as http2.ClientSessionOptions);
    await new Promise<void>((resolve, reject) => {
      const request = session.request({ ":path": "/" });
      request
        .on("data", () => undefined)
        .on("end", resolve)
        .on("error", reject);
      request.end();
    });
    session.close();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(seen).toEqual(["127.0.0.9", "127.0.0.1"]);
  });
});
