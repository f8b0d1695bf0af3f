import { fromBinary, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  commentedFileDescriptors,
  file_google_rpc_error_details,
  file_google_rpc_status,
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  ServerReflectionV1alpha,
  ServerReflectionRequestV1alphaSchema,
  ServerReflectionResponseV1alphaSchema,
  type ServerReflectionRequest,
} from "@roster/client";
import { create, type MessageInitShape } from "@bufbuild/protobuf";

const notFound = 5;
const unimplemented = 12;

/**
 * Every file reachable from the hosted services and the extra files, and which
 * file declares each symbol.
 */
class DescriptorIndex {
  readonly files = new Map<string, DescFile>();
  readonly symbols = new Map<string, DescFile>();

  constructor(
    readonly services: readonly DescService[],
    extraFiles: readonly DescFile[],
  ) {
    for (const service of services) this.addFile(service.file);
    for (const file of extraFiles) this.addFile(file);
  }

  private addFile(file: DescFile): void {
    const fileName = file.proto.name;
    if (this.files.has(fileName)) return;
    this.files.set(fileName, file);
    for (const dependency of file.dependencies) this.addFile(dependency);
    for (const message of file.messages) this.addMessage(file, message);
    for (const enumeration of file.enums) this.symbols.set(enumeration.typeName, file);
    for (const extension of file.extensions) this.symbols.set(extension.typeName, file);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
  }

  private addMessage(file: DescFile, message: DescFile["messages"][number]): void {
    this.symbols.set(message.typeName, file);
    for (const nested of message.nestedMessages) this.addMessage(file, nested);
    for (const enumeration of message.nestedEnums) this.symbols.set(enumeration.typeName, file);
    for (const field of message.fields) this.symbols.set(`${message.typeName}.${field.name}`, file);
  }

  /**
   * The file and its transitive dependencies, dependencies first, each serialized
   * once, with the proto's comments where the contract has them.
   */
  withDependencies(file: DescFile): Uint8Array[] {
    const commented = commentedFileDescriptors();
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      for (const dependency of f.dependencies) visit(dependency);
      out.push(toBinary(FileDescriptorProtoSchema, commented.get(f.proto.name) ?? f.proto));
    };
    visit(file);
    return out.reverse();
  }
}

function answer(
  index: DescriptorIndex,
  request: ServerReflectionRequest,
): MessageInitShape<typeof ServerReflectionResponseSchema> {
  const base = { validHost: request.host, originalRequest: request };
  const fileResponse = (file: DescFile | undefined, what: string) =>
    file === undefined
      ? {
          ...base,
          messageResponse: {
            case: "errorResponse" as const,
            value: { errorCode: notFound, errorMessage: `${what} not found` },
          },
        }
      : {
          ...base,
          messageResponse: {
            case: "fileDescriptorResponse" as const,
            value: { fileDescriptorProto: index.withDependencies(file) },
          },
        };
  const req = request.messageRequest;
  switch (req.case) {
    case "listServices":
      return {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.services.map((s) => ({ name: s.typeName })) },
        },
      };
    case "fileByFilename":
      return fileResponse(index.files.get(req.value), `file ${req.value}`);
    case "fileContainingSymbol":
      return fileResponse(index.symbols.get(req.value), `symbol ${req.value}`);
    case "allExtensionNumbersOfType":
      return index.symbols.has(req.value)
        ? { ...base, messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: req.value } } }
        : fileResponse(undefined, `type ${req.value}`);
    case "fileContainingExtension":
      return fileResponse(undefined, `extension ${req.value.extensionNumber} of ${req.value.containingType}`);
    default:
      return {
        ...base,
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: unimplemented, errorMessage: "unsupported request" },
        },
      };
  }
}

/**
 * gRPC server reflection as both grpc.reflection.v1 and v1alpha (grpcurl builds
 * still in use speak only v1alpha). The two protocols are identical on the
 * wire, so v1alpha is served by re-reading its messages as v1. The google.rpc
 * error model is served too, though no method names it: error details travel as
 * `Any`, and a client can only decode `ErrorInfo` or `BadRequest` if it can
 * resolve them.
 */
export function createReflectionServices(hosted: readonly DescService[]): {
  v1: ServiceImpl<typeof ServerReflection>;
  v1alpha: ServiceImpl<typeof ServerReflectionV1alpha>;
} {
  const index = new DescriptorIndex(
    [...hosted, ServerReflection, ServerReflectionV1alpha],
    [file_google_rpc_status, file_google_rpc_error_details],
  );
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) yield answer(index, request);
      },
    },
    v1alpha: {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) {
          const asV1 = fromBinary(
            ServerReflectionRequestSchema,
            toBinary(ServerReflectionRequestV1alphaSchema, request),
          );
          const response = create(ServerReflectionResponseSchema, answer(index, asV1));
          yield fromBinary(ServerReflectionResponseV1alphaSchema, toBinary(ServerReflectionResponseSchema, response));
        }
      },
    },
  };
}
