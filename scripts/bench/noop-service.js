// A one-method service for measuring transport overhead: the handler does nothing.
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

const file = create(FileDescriptorProtoSchema, {
  name: "bench/v1/noop.proto",
  package: "bench.v1",
  syntax: "proto3",
  messageType: [{ name: "NoopRequest" }, { name: "NoopResponse" }],
  service: [
    {
      name: "NoopService",
      method: [{ name: "Noop", inputType: ".bench.v1.NoopRequest", outputType: ".bench.v1.NoopResponse" }],
    },
  ],
});

export const noopService = createFileRegistry(file, () => undefined).getService("bench.v1.NoopService");
export const noopPath = "/bench.v1.NoopService/Noop";
export const noopImpl = { noop: () => ({}) };
/** The encoded (empty) NoopRequest. */
export const noopRequest = new Uint8Array(0);
