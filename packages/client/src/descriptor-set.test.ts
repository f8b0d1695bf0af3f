import type { DescFile } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { commentedFileDescriptors } from "./descriptor-set.js";
import {
  file_google_rpc_error_details,
  file_google_rpc_status,
  Health,
  RoleService,
  TokenService,
  UserService,
} from "./index.js";

/** The file and everything it imports. */
function closure(file: DescFile, into = new Map<string, DescFile>()): Map<string, DescFile> {
  if (!into.has(file.proto.name)) {
    into.set(file.proto.name, file);
    for (const dependency of file.dependencies) closure(dependency, into);
  }
  return into;
}

const generated = new Map<string, DescFile>();
for (const file of [
  UserService.file,
  RoleService.file,
  TokenService.file,
  Health.file,
  file_google_rpc_status,
  file_google_rpc_error_details,
]) {
  closure(file, generated);
}
const shape = (file: {
  messageType: { name: string; field: { name: string; number: number }[] }[];
  service: { name: string; method: { name: string }[] }[];
}) => ({
  messages: file.messageType.map((m) => [m.name, m.field.map((f) => `${f.name}=${f.number}`)]),
  services: file.service.map((s) => [s.name, s.method.map((m) => m.name)]),
});

describe("commentedFileDescriptors", () => {
  it.each([...generated.keys()])(
    "when %s is generated then the commented copy declares the same messages, fields and methods",
    (name) => {
      const commented = commentedFileDescriptors().get(name);
      expect(commented, `${name} is missing: run npm run gen`).toBeDefined();
      expect(shape(commented!)).toEqual(shape(generated.get(name)!.proto));
    },
  );
});
