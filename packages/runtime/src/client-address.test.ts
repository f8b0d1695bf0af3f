import { describe, expect, it } from "vitest";
import { peerAddress, socketAddress } from "./client-address.js";

describe("peerAddress", () => {
  it("when the peer is IPv4, IPv6 or IPv4-mapped with a port then the port is dropped", () => {
    expect(peerAddress("127.0.0.2:51234")).toBe("127.0.0.2");
    expect(peerAddress("::1:51234")).toBe("::1");
    expect(peerAddress("[2001:db8::7]:443")).toBe("2001:db8::7");
    expect(peerAddress("::ffff:10.0.0.9:51234")).toBe("10.0.0.9");
  });

  it("when there is no address then it reads unknown", () => {
    expect(peerAddress("")).toBe("unknown");
    expect(socketAddress(undefined)).toBe("unknown");
  });
});
