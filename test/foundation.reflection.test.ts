import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { duplex, plainClient } from "./helpers/plain-grpc.js";
import { stackInfo } from "./helpers/stack-info.js";

const stack = stackInfo();

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number };
}

/** One request/response exchange on a fresh reflection stream, as grpcurl does. */
async function reflect(version: "v1" | "v1alpha", port: number, request: object): Promise<ReflectionResponse> {
  const client = plainClient(
    `grpc/reflection/${version}/reflection.proto`,
    `grpc.reflection.${version}.ServerReflection`,
    port,
  );
  const call = duplex(client, "serverReflectionInfo");
  const response = new Promise<ReflectionResponse>((resolve, reject) => {
    call.once("data", (data) => resolve(data as ReflectionResponse));
    call.once("error", reject);
  });
  call.write(request);
  call.end();
  try {
    return await response;
  } finally {
    client.close();
  }
}

describe.each(["v1", "v1alpha"] as const)("server reflection %s", (version) => {
  it("when asked on the HTTP port (gRPC over connect-node) then it lists the same services", async () => {
    const native = await reflect(version, stack.user.grpc, { listServices: "" });
    const http = await reflect(version, stack.user.http, { listServices: "" });
    expect(http.listServicesResponse?.service).toEqual(native.listServicesResponse?.service);
  });

  it("when user-service is asked to list services then it names UserService, RoleService and Health", async () => {
    const reply = await reflect(version, stack.user.grpc, { listServices: "" });
    const names = reply.listServicesResponse?.service.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(["roster.user.v1.UserService", "roster.user.v1.RoleService", "grpc.health.v1.Health"]),
    );
  });

  it("when token-service is asked to list services then it names TokenService", async () => {
    const reply = await reflect(version, stack.token.grpc, { listServices: "" });
    expect(reply.listServicesResponse?.service.map((s) => s.name)).toContain("roster.token.v1.TokenService");
  });

  it("when asked for the file of a symbol then it sends that file with its dependencies", async () => {
    const reply = await reflect(version, stack.user.grpc, { fileContainingSymbol: "roster.user.v1.UserService" });
    const files = (reply.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    const own = files.find((f) => f.service.some((s) => s.name === "UserService"));
    expect(own?.package).toBe("roster.user.v1");
    const names = new Set(files.map((f) => f.name));
    for (const dependency of own?.dependency ?? []) expect(names).toContain(dependency);
  });

  it.each([
    ["user-service", () => stack.user.grpc],
    ["token-service", () => stack.token.grpc],
  ] as const)(
    "when %s is asked for google.rpc.ErrorInfo by symbol then it sends error_details.proto, so error details decode",
    async (_service, port) => {
      for (const symbol of ["google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.Status"]) {
        const reply = await reflect(version, port(), { fileContainingSymbol: symbol });
        const files = (reply.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) =>
          fromBinary(FileDescriptorProtoSchema, b),
        );
        const declaring = files.find(
          (f) => f.package === "google.rpc" && f.messageType.some((m) => `google.rpc.${m.name}` === symbol),
        );
        expect(declaring?.name, symbol).toMatch(/^google\/rpc\/(error_details|status)\.proto$/);
      }
    },
  );

  it("when asked for the file of UserService then it carries the proto's comments, so describe shows the manual", async () => {
    const reply = await reflect(version, stack.user.grpc, { fileContainingSymbol: "roster.user.v1.UserService" });
    const files = (reply.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    const own = files.find((f) => f.service.some((s) => s.name === "UserService"));
    const serviceIndex = own?.service.findIndex((s) => s.name === "UserService") ?? -1;
    const methodIndex = own?.service[serviceIndex]?.method.findIndex((m) => m.name === "CreateUser") ?? -1;
    // FileDescriptorProto.service is field 6, ServiceDescriptorProto.method is field 2.
    const location = own?.sourceCodeInfo?.location.find(
      (l) => l.path.join(".") === `6.${serviceIndex}.2.${methodIndex}`,
    );
    expect(location?.leadingComments).toContain("Scope: `roster:users:write`.");
    expect(location?.leadingComments).toContain("USERNAME_TAKEN");
  });

  it("when asked for an unknown symbol then it answers an error response with NOT_FOUND", async () => {
    const reply = await reflect(version, stack.token.grpc, { fileContainingSymbol: "no.such.Thing" });
    expect(reply.errorResponse?.errorCode).toBe(5);
  });
});
