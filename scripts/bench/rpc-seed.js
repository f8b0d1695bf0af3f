// Seeds the data the RPC benchmark reads: users imported in batches without
// passwords (argon2 is slow on purpose), a few users with passwords, roles
// with assignments, and one personal access token with an access token minted from it.
import {
  closeClient,
  createRoleServiceClient,
  createTokenServiceClient,
  createUserServiceClient,
  scopeRolesRead,
  scopeTokensRead,
  scopeUsersRead,
} from "@roster/client";
import { progressBar } from "./progress.js";

const importBatch = 500;
const passwordUsers = 4;
/** Users that get roles, so GetUserPermissions and exchange have permissions to merge. */
const usersWithRoles = 500;
const firstNames = [
  "Alice",
  "Bruno",
  "Chiara",
  "Dmitri",
  "Elena",
  "Farid",
  "Greta",
  "Hiro",
  "Ingrid",
  "Jamal",
  "Kofi",
  "Lena",
  "Mateo",
  "Nadia",
  "Oskar",
  "Priya",
  "Quentin",
  "Rosa",
  "Sven",
  "Tomas",
  "Ursula",
  "Viktor",
  "Wanda",
  "Xavier",
  "Yusuf",
  "Zoe",
];
const lastNames = [
  "Anderson",
  "Bianchi",
  "Castillo",
  "Dubois",
  "Eriksson",
  "Fischer",
  "Garcia",
  "Hansen",
  "Ivanova",
  "Johnson",
  "Kowalski",
  "Larsen",
  "Martin",
  "Nakamura",
  "Olsen",
  "Petrov",
  "Quinn",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Usman",
  "Novak",
];

export const benchUsername = (i) => `user${String(i).padStart(7, "0")}`;
export const benchEmail = (i) => `${benchUsername(i)}@bench.example.com`;
export const benchName = (i) =>
  `${firstNames[i % firstNames.length]} ${lastNames[Math.floor(i / firstNames.length) % lastNames.length]}`;
export { firstNames, lastNames };

/**
 * Seeds `users` users and the rest; resolves what the load needs:
 * { userIds, roleUserIds, passwordLogins: [{ username, password }], pat, accessToken }.
 */
export async function seed(stack, { users }) {
  const credential = stack.apiKey;
  const options = (port) => ({ transport: "grpc-js", address: `127.0.0.1:${port}`, credential, timeoutMs: 120_000 });
  const userClient = createUserServiceClient(options(stack.ports.userGrpc));
  const roleClient = createRoleServiceClient(options(stack.ports.userGrpc));
  const tokenClient = createTokenServiceClient(options(stack.ports.tokenGrpc));
  try {
    const userIds = await importUsers(userClient, users);
    const passwordLogins = await createPasswordUsers(userClient);
    const roleUserIds = await assignRoles(roleClient, userIds.slice(0, Math.min(users, usersWithRoles)));
    const { secret: pat } = await tokenClient.createPersonalAccessToken({
      userId: roleUserIds[0],
      name: "bench",
      scopes: [scopeUsersRead, scopeRolesRead, scopeTokensRead],
    });
    const { accessToken } = await tokenClient.exchangePersonalAccessToken({ personalAccessToken: pat });
    return { userIds, roleUserIds, passwordLogins, pat, accessToken };
  } finally {
    closeClient(userClient);
    closeClient(roleClient);
    closeClient(tokenClient);
  }
}

async function importUsers(client, users) {
  const bar = progressBar("seeding users", users);
  const ids = [];
  for (let start = 0; start < users; start += importBatch) {
    const requests = [];
    for (let i = start; i < Math.min(users, start + importBatch); i++) {
      requests.push({ username: benchUsername(i), primaryEmail: benchEmail(i), name: benchName(i) });
    }
    const { results } = await client.importUsers({ requests });
    for (const [offset, { result }] of results.entries()) {
      if (result.case !== "user") {
        throw new Error(
          `ImportUsers: ${benchUsername(start + offset)} failed with code ${result.value?.code}: ${result.value?.message}`,
        );
      }
      ids.push(result.value.id);
    }
    bar.update(ids.length);
  }
  return ids;
}

async function createPasswordUsers(client) {
  const bar = progressBar("seeding users with passwords", passwordUsers);
  const logins = [];
  for (let i = 0; i < passwordUsers; i++) {
    const login = { username: `bench-login-${i}`, password: `Bench-passphrase-${i}-long-enough` };
    await client.createUser({ username: login.username, credential: { case: "password", value: login.password } });
    logins.push(login);
    bar.update(logins.length);
  }
  return logins;
}

async function assignRoles(client, userIds) {
  const permissions = [
    [scopeUsersRead, scopeRolesRead, scopeTokensRead],
    [scopeUsersRead, "billing:invoices:read"],
    ["billing:invoices:write", "reports:read"],
  ];
  const roleIds = [];
  for (const [i, rolePermissions] of permissions.entries()) {
    const { role } = await client.createRole({
      role: { name: `bench-role-${i}`, description: "benchmark role", permissions: rolePermissions },
    });
    roleIds.push(role.id);
  }
  const bar = progressBar("seeding role assignments", userIds.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < userIds.length) {
      const i = next++;
      await client.assignUserRoles({
        userId: userIds[i],
        roleIds: [roleIds[i % roleIds.length], roleIds[(i + 1) % roleIds.length]],
      });
      bar.update(++done);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return userIds;
}
