import { Metadata, type MetadataValue } from "@grpc/grpc-js";

/**
 * Request headers backed by the call's metadata. Filling a Headers costs more
 * than the rest of a no-op call, and a guard usually reads one header; so `get`
 * and `has` read the metadata, and any other use copies it in first. Either way
 * a reader sees the same: every entry, repeated values joined with ", ", and
 * binary (`-bin`) values, Buffers in metadata, as base64 as on the wire.
 */
export class MetadataHeaders extends Headers {
  /** The metadata not yet copied in; undefined once it has been. */
  #pending: Metadata | undefined;

  constructor(metadata: Metadata) {
    super();
    this.#pending = metadata;
  }

  // Headers' members are typed as properties, which TypeScript will not let a
  // subclass override as methods; so the overrides go onto the prototype here.
  static {
    const base = Headers.prototype;
    const proto = MetadataHeaders.prototype;
    const define = (key: PropertyKey, value: (this: MetadataHeaders, ...args: never[]) => unknown) =>
      Object.defineProperty(proto, key, { value, writable: true, configurable: true });

    define("get", function (name: string): string | null {
      if (this.#pending === undefined) return base.get.call(this, name);
      const values = this.#pending.get(name);
      if (values.length === 0) return null;
      if (values.length === 1) return asText(values[0]!);
      return values.map(asText).join(", ");
    });
    define("has", function (name: string): boolean {
      if (this.#pending === undefined) return base.has.call(this, name);
      return this.#pending.get(name).length > 0;
    });
    for (const key of [
      "append",
      "set",
      "delete",
      "getSetCookie",
      "forEach",
      "keys",
      "values",
      "entries",
      Symbol.iterator,
    ] as const) {
      const method = base[key] as (this: Headers, ...args: never[]) => unknown;
      define(key, function (...args) {
        const metadata = this.#pending;
        if (metadata !== undefined) {
          this.#pending = undefined;
          copyInto(metadata, this, base.append);
        }
        return method.apply(this, args);
      });
    }
  }
}

function copyInto(metadata: Metadata, headers: Headers, append: Headers["append"] = headers.append): void {
  const http2 = metadata.toHttp2Headers();
  for (const key in http2) {
    const value = http2[key];
    if (typeof value === "string") {
      append.call(headers, key, value);
    } else if (Array.isArray(value)) {
      for (const v of value) append.call(headers, key, v);
    }
  }
}

function asText(value: MetadataValue): string {
  return typeof value === "string" ? value : value.toString("base64");
}

/**
 * Appends Web Headers to gRPC metadata. Binary values are base64 in Headers;
 * Headers joins repeated values with ", ", so each part is decoded on its own.
 */
export function appendHeadersToMetadata(headers: Headers, metadata: Metadata): Metadata {
  headers.forEach((value, key) => {
    if (key.endsWith("-bin")) {
      for (const part of value.split(",")) {
        metadata.add(key, Buffer.from(part.trim(), "base64"));
      }
    } else {
      metadata.add(key, value);
    }
  });
  return metadata;
}

/** Returns the headers as metadata, or undefined when there are none, to spare the allocation. */
export function headersToMetadata(headers: Headers | undefined): Metadata | undefined {
  if (headers === undefined || isEmpty(headers)) return undefined;
  return appendHeadersToMetadata(headers, new Metadata());
}

function isEmpty(headers: Headers): boolean {
  for (const _ of headers.keys()) return false;
  return true;
}
