import { fromBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { descriptorSetBase64 } from "./gen/descriptor-set.js";

let byName: ReadonlyMap<string, FileDescriptorProto> | undefined;

/**
 * The contract's files with their source info (the proto comments), by file name
 * ("roster/user/v1/user_service.proto"), as `buf build` produced them. Generated
 * descriptors carry no comments; reflection serves these so `grpcurl describe`
 * shows them. Decoded on first use.
 */
export function commentedFileDescriptors(): ReadonlyMap<string, FileDescriptorProto> {
  byName ??= new Map(
    fromBinary(FileDescriptorSetSchema, base64Decode(descriptorSetBase64)).file.map((f) => [f.name, f]),
  );
  return byName;
}
