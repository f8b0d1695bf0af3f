import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * Has protobuf-es encode strings with `Buffer.from` instead of a TextEncoder: the same bytes (a lone
 * surrogate becomes U+FFFD either way) at about half the cost for short strings, which is what
 * search pages, introspection replies and audit deliveries are made of. Process-wide (every service
 * run by `runService` gets it); decoding is left as it is.
 */
export function encodeStringsWithBuffer(): void {
  configureTextEncoding({ ...getTextEncoding(), encodeUtf8: (text) => Buffer.from(text, "utf8") });
}
