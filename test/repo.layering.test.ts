import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/** The domain folders: the rules of each service, which must stay free of drivers, transports and storage. */
const domainDirs = ["packages/user-service/src/domain/", "packages/token-service/src/domain/"].map((dir) =>
  fileURLToPath(new URL(`../${dir}`, import.meta.url)),
);

interface ModuleImport {
  file: string;
  from: string;
  /** `import type …` / `export type …`: erased at build, loads nothing. */
  typeOnly: boolean;
}

/** Every static and dynamic import and re-export of the domains' source files. */
function domainImports(): ModuleImport[] {
  const found: ModuleImport[] = [];
  for (const domainDir of domainDirs) scanFolder(domainDir, found);
  return found;
}

function scanFolder(domainDir: string, found: ModuleImport[]): void {
  for (const name of readdirSync(domainDir).filter((entry) => entry.endsWith(".ts"))) {
    const file = domainDir.split("/packages/")[1] + name;
    const source = ts.createSourceFile(name, readFileSync(domainDir + name, "utf8"), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        found.push({ file, from: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
      } else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        found.push({ file, from: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        ts.isStringLiteral(node.arguments[0]!)
      ) {
        found.push({ file, from: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

/** Modules that speak to MongoDB or a transport, or entry points that load one. */
const transportOrDatabase = [/^mongodb($|\/)/, /^@grpc\//, /^@connectrpc\//, /^node:http2$/, /^@roster\/client$/];

const isTest = (file: string) => file.endsWith(".test.ts");

describe("both services' domain imports", () => {
  const imports = domainImports();

  it("when the domain folders are read then their imports are found (the scan sees what it checks)", () => {
    expect(imports.some((i) => i.file === "user-service/src/domain/users.ts" && i.from === "./user-store.js")).toBe(
      true,
    );
    expect(imports.some((i) => i.file === "token-service/src/domain/pats.ts" && i.from === "./pat-store.js")).toBe(
      true,
    );
    expect(imports.some((i) => i.file.endsWith(".test.ts") && i.from === "vitest")).toBe(true);
  });

  it("when any domain file is read then it imports no database driver, no transport and no entry point that loads one", () => {
    const offending = imports.filter((i) => transportOrDatabase.some((pattern) => pattern.test(i.from)));
    expect(offending).toEqual([]);
  });

  it("when a domain module is read then it imports no storage, rpc or wiring code", () => {
    const offending = imports.filter((i) => !isTest(i.file) && /^\.\.\/(storage|rpc|app|main)([./]|$)/.test(i.from));
    expect(offending).toEqual([]);
  });

  it("when a domain module imports the runtime's main entry point then it takes types only (the entry point loads servers)", () => {
    const offending = imports.filter((i) => !isTest(i.file) && i.from === "@roster/runtime" && !i.typeOnly);
    expect(offending).toEqual([]);
  });
});
