import { fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import {
  UserProfileSchema,
  scopeLogsRead,
  scopeRolesRead,
  scopeRolesWrite,
  scopeTokensRead,
  scopeUsersWrite,
  type User,
} from "@roster/client/contract";
import { announce, field, formatTime, h, row, select } from "./dom.js";
import { attempt, errorSlot, invalidField } from "./errors.js";
import { renderLogs } from "./logs-panel.js";
import type { Screen } from "./main.js";
import { can } from "./session.js";
import { renderTokens } from "./tokens-panel.js";

/** A titled section with an error line, its controls, and the action that submits it. */
function section(title: string, ...children: (Node | false)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), errorSlot(), ...children);
}

/** A button that runs `action` with errors shown in its section; `then` runs on success. */
function action(label: string, run: () => Promise<unknown>, then: () => void, confirmText?: string): HTMLButtonElement {
  const button = h("button", { type: "button" }, label);
  button.addEventListener("click", () => {
    if (confirmText !== undefined && !window.confirm(confirmText)) return;
    const scope = button.closest<HTMLElement>("section") ?? document.body;
    button.disabled = true;
    void attempt(scope, run).then((ok) => {
      button.disabled = false;
      if (ok) then();
    });
  });
  return button;
}

/** Parses a JSON object typed into an editor; a problem is refused as a violation of `name`, before anything is sent. */
function parseObject(editor: HTMLTextAreaElement, name: string): JsonObject {
  let value: JsonValue;
  try {
    value = JSON.parse(editor.value === "" ? "{}" : editor.value) as JsonValue;
  } catch (err) {
    throw invalidField(name, `not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalidField(name, "must be a JSON object");
  return value;
}

function jsonEditor(value: JsonValue | undefined, name: string, label: string): [HTMLElement, HTMLTextAreaElement] {
  const editor = h("textarea", { rows: 8, spellcheck: "false", class: "json" });
  editor.value = JSON.stringify(value ?? {}, null, 2);
  return [field(label, editor, name), editor];
}

/** One user: details and every action the credential's scopes allow. */
export async function renderUser(screen: Screen, userId: string): Promise<void> {
  const { clients, session, main } = screen;
  const writable = can(session, scopeUsersWrite);
  let user: User | undefined;
  const ok = await attempt(main.appendChild(h("div", {}, errorSlot())), async () => {
    user = (await clients.users.getUser({ userId })).user;
  });
  if (!ok || user === undefined) return;
  const reload = () => void window.dispatchEvent(new HashChangeEvent("hashchange"));
  const u = user;
  const summaryHolder = h("div", {});
  const statusHolder = h("div", {});
  // Status changes redraw only these two, so the live log below keeps streaming.
  const draw = (current: User) => {
    summaryHolder.replaceChildren(summaryOf(current));
    if (writable) statusHolder.replaceChildren(statusSection(screen, current, draw));
  };
  draw(u);
  main.append(
    h("p", {}, h("a", { href: "#/users" }, "← Users")),
    h("h1", {}, u.username || u.name || u.id),
    summaryHolder,
    statusHolder,
  );

  if (writable) {
    const inputs = {
      username: u.username,
      name: u.name,
      primary_email: u.primaryEmail,
      primary_phone: u.primaryPhone,
      avatar_url: u.avatarUrl,
    };
    const controls = Object.entries(inputs).map(([name, value]) => {
      const el = h("input", { type: "text", value });
      return [name, el] as const;
    });
    const [profileField, profileEditor] = jsonEditor(
      u.profile ? toJson(UserProfileSchema, u.profile) : {},
      "profile",
      "Profile (OIDC claims, JSON)",
    );
    main.append(
      section(
        "Profile",
        ...controls.map(([name, el]) => field(name.replace("_", " "), el, name)),
        profileField,
        action(
          "Save profile",
          async () => {
            const profile = parseObject(profileEditor, "profile");
            const values = Object.fromEntries(controls.map(([name, el]) => [name, el.value]));
            await clients.users.updateUser({
              user: {
                id: userId,
                username: values.username,
                name: values.name,
                primaryEmail: values.primary_email,
                primaryPhone: values.primary_phone,
                avatarUrl: values.avatar_url,
                profile: fromJson(UserProfileSchema, profile),
              },
              updateMask: { paths: [...controls.map(([name]) => name), "profile"] },
            });
          },
          () => announce("Profile saved"),
        ),
      ),
    );

    const [dataField, dataEditor] = jsonEditor(u.customData, "custom_data", "Custom data (JSON object)");
    main.append(
      section(
        "Custom data",
        dataField,
        action(
          "Save custom data",
          async () => {
            const customData = parseObject(dataEditor, "custom_data");
            await clients.users.updateUser({
              user: { id: userId, customData },
              updateMask: { paths: ["custom_data"] },
            });
          },
          () => announce("Custom data saved"),
        ),
      ),
    );

    const password = h("input", { type: "password", autocomplete: "new-password" });
    const codeOut = h("output", { class: "secret" });
    main.append(
      section(
        "Password",
        row(
          field("New password", password, "password"),
          action(
            "Set password",
            () => clients.users.setPassword({ userId, credential: { case: "password", value: password.value } }),
            () => {
              password.value = "";
              announce("Password set");
            },
          ),
        ),
        row(
          action(
            "Issue reset code",
            async () => {
              const { code, expireTime } = await clients.users.createPasswordResetCode({ userId });
              codeOut.textContent = `${code} (shown once; expires ${formatTime(expireTime)})`;
            },
            () => announce("Reset code issued"),
          ),
          codeOut,
        ),
      ),
    );
  }
  main.append(await identitiesSection(screen, userId, writable, reload));
  if (can(session, scopeRolesRead)) main.append(await rolesSection(screen, userId, reload));
  if (can(session, scopeTokensRead)) main.append(await renderTokens(screen, userId));
  if (can(session, scopeLogsRead)) main.append(renderLogs(screen, userId));
}

function summaryOf(u: User): HTMLElement {
  const facts = [
    ["Id", u.id],
    ["Username", u.username],
    ["Name", u.name],
    ["Email", u.primaryEmail],
    ["Phone", u.primaryPhone],
    ["Status", u.suspended ? "suspended" : "active"],
    ["Password", u.hasPassword ? "set" : "none"],
    ["Locked until", formatTime(u.lockExpireTime)],
    ["Created", formatTime(u.createTime)],
    ["Updated", formatTime(u.updateTime)],
    ["Last sign-in", formatTime(u.lastSignInTime)],
  ] as const;
  return h(
    "dl",
    { class: "facts" },
    ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v || "—")]),
  );
}

function statusSection(screen: Screen, u: User, draw: (user: User) => void): HTMLElement {
  const { clients } = screen;
  const userId = u.id;
  let updated: User | undefined;
  const apply = () => {
    if (updated !== undefined) draw(updated);
  };
  const reason = h("input", { type: "text", maxlength: 256 });
  return section(
    "Status",
    u.suspended
      ? action("Unsuspend", async () => ({ user: updated } = await clients.users.unsuspendUser({ userId })), apply)
      : row(
          field("Reason (optional)", reason, "reason"),
          action(
            "Suspend",
            async () => ({ user: updated } = await clients.users.suspendUser({ userId, reason: reason.value })),
            apply,
          ),
        ),
    u.lockExpireTime !== undefined &&
      action("Unlock", async () => ({ user: updated } = await clients.users.unlockUser({ userId })), apply),
    action(
      "Delete user",
      () => clients.users.deleteUser({ userId }),
      () => {
        location.hash = "#/users";
      },
      `Delete ${u.username || u.id}? This removes the user and their tokens and cannot be undone.`,
    ),
  );
}

async function identitiesSection(
  screen: Screen,
  userId: string,
  writable: boolean,
  reload: () => void,
): Promise<HTMLElement> {
  const { identities } = await screen.clients.users.listIdentities({ userId, pageSize: 100 });
  return section(
    "Identities",
    identities.length === 0
      ? h("p", {}, "No linked identities.")
      : h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Target"),
              h("th", { scope: "col" }, "Provider user id"),
              h("th", { scope: "col" }, "Linked"),
              writable && h("th", { scope: "col" }, "Actions"),
            ),
          ),
          h(
            "tbody",
            {},
            ...identities.map((i) =>
              h(
                "tr",
                {},
                h("td", {}, i.target),
                h("td", {}, i.providerUserId),
                h("td", {}, formatTime(i.createTime)),
                writable &&
                  h(
                    "td",
                    {},
                    action(
                      `Unlink ${i.target}`,
                      () => screen.clients.users.unlinkIdentity({ userId, target: i.target }),
                      reload,
                      `Unlink ${i.target}?`,
                    ),
                  ),
              ),
            ),
          ),
        ),
  );
}

async function rolesSection(screen: Screen, userId: string, reload: () => void): Promise<HTMLElement> {
  const { clients, session } = screen;
  const writable = can(session, scopeRolesWrite);
  const { roles } = await clients.roles.listUserRoles({ userId, pageSize: 100 });
  const held = new Set(roles.map((r) => r.id));
  const all = writable ? (await clients.roles.listRoles({ pageSize: 100 })).roles.filter((r) => !held.has(r.id)) : [];
  const choice = select(all.map((r) => [r.id, r.name] as const));
  return section(
    "Roles",
    h(
      "ul",
      {},
      ...roles.map((r) =>
        h(
          "li",
          {},
          h("a", { href: `#/roles/${encodeURIComponent(r.id)}` }, r.name),
          " ",
          writable &&
            action(`Remove ${r.name}`, () => clients.roles.removeUserRoles({ userId, roleIds: [r.id] }), reload),
        ),
      ),
    ),
    roles.length === 0 && h("p", {}, "No roles."),
    writable &&
      all.length > 0 &&
      row(
        field("Role", choice, "role_ids"),
        action("Assign role", () => clients.roles.assignUserRoles({ userId, roleIds: [choice.value] }), reload),
      ),
  );
}
