import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { MetadataHeaders, appendHeadersToMetadata, headersToMetadata } from "./grpc-metadata.js";

describe("grpc metadata and Web Headers", () => {
  it("when Headers hold repeated binary values then each becomes its own Buffer", () => {
    const headers = new Headers([
      ["x-blob-bin", "AQI="],
      ["x-blob-bin", "Aw=="],
      ["x-text", "hi"],
    ]);
    const md = appendHeadersToMetadata(headers, new Metadata());
    expect(md.get("x-blob-bin")).toEqual([Buffer.from([1, 2]), Buffer.from([3])]);
    expect(md.get("x-text")).toEqual(["hi"]);
  });

  it("when Headers are empty or absent then no metadata is made", () => {
    expect(headersToMetadata(undefined)).toBeUndefined();
    expect(headersToMetadata(new Headers())).toBeUndefined();
  });
});

describe("MetadataHeaders", () => {
  const metadata = () => {
    const md = new Metadata();
    md.add("authorization", "Bearer k");
    md.add("x-text", "a");
    md.add("x-text", "b");
    md.add("x-blob-bin", Buffer.from([0xff, 0x00]));
    return md;
  };

  it("when read with get or has then it answers as once filled, binary values as base64", () => {
    const lazy = new MetadataHeaders(metadata());
    const eager = new MetadataHeaders(metadata());
    eager.forEach(() => {});
    expect(lazy.get("x-text")).toBe("a, b");
    expect(lazy.get("x-blob-bin")).toBe("/wA=");
    for (const name of ["Authorization", "x-text", "x-blob-bin", "absent"]) {
      expect(lazy.get(name)).toBe(eager.get(name));
      expect(lazy.has(name)).toBe(eager.has(name));
    }
  });

  it("when iterated, copied or changed then it holds the metadata plus the change", () => {
    const lazy = new MetadataHeaders(metadata());
    expect([...lazy]).toEqual([
      ["authorization", "Bearer k"],
      ["x-blob-bin", "/wA="],
      ["x-text", "a, b"],
    ]);
    lazy.set("x-text", "c");
    lazy.append("x-new", "n");
    lazy.delete("authorization");
    expect(Object.fromEntries(new Headers(lazy))).toEqual({ "x-blob-bin": "/wA=", "x-text": "c", "x-new": "n" });
    expect(lazy.get("x-text")).toBe("c");
    expect(lazy).toBeInstanceOf(Headers);
  });

  it("when forEach runs first then it sees every entry", () => {
    const seen: string[] = [];
    new MetadataHeaders(metadata()).forEach((value, key) => seen.push(`${key}=${value}`));
    expect(seen).toEqual(["authorization=Bearer k", "x-blob-bin=/wA=", "x-text=a, b"]);
  });
});
