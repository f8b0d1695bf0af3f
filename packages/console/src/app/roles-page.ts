import { scopeRolesWrite, scopeUsersRead, type Role } from "@roster/client/contract";
import { field, h, announce } from "./dom.js";
import { attempt, errorSlot } from "./errors.js";
import type { Screen } from "./main.js";
import { can } from "./session.js";

const words = (text: string) => text.split(/[\s,]+/).filter((s) => s !== "");

function roleForm(
  title: string,
  role: Partial<Role>,
  submit: (values: { name: string; description: string; permissions: string[] }) => Promise<unknown>,
  done: () => void,
): HTMLElement {
  const name = h("input", { type: "text", value: role.name ?? "", required: true });
  const description = h("input", { type: "text", value: role.description ?? "" });
  const permissions = h("textarea", { rows: 3, spellcheck: "false" });
  permissions.value = (role.permissions ?? []).join("\n");
  const form = h(
    "form",
    { class: "card", "aria-label": title },
    h("h2", {}, title),
    errorSlot(),
    field("Name", name, "name"),
    field("Description", description, "description"),
    field("Permissions (one per line)", permissions, "permissions"),
    h("button", { type: "submit" }, title),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void attempt(form, () =>
      submit({ name: name.value, description: description.value, permissions: words(permissions.value) }),
    ).then((ok) => ok && done());
  });
  return form;
}

/** Roles: the list with a create form, or one role with its permissions and holders. */
export async function renderRoles(screen: Screen, roleId: string | undefined): Promise<void> {
  const { clients, session, main } = screen;
  const writable = can(session, scopeRolesWrite);
  const reload = () => void window.dispatchEvent(new HashChangeEvent("hashchange"));
  const status = h("div", {}, errorSlot());
  main.append(status);

  if (roleId === undefined || roleId === "") {
    await attempt(status, async () => {
      const { roles, totalSize } = await clients.roles.listRoles({ pageSize: 100 });
      main.append(
        h("h1", {}, "Roles"),
        h("p", {}, `${totalSize} roles`),
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h("tr", {}, ...["Name", "Description", "Permissions"].map((t) => h("th", { scope: "col" }, t))),
          ),
          h(
            "tbody",
            {},
            ...roles.map((r) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `#/roles/${encodeURIComponent(r.id)}` }, r.name)),
                h("td", {}, r.description),
                h("td", {}, r.permissions.join(" ")),
              ),
            ),
          ),
        ),
      );
    });
    if (writable) main.append(roleForm("Create role", {}, (v) => clients.roles.createRole({ role: v }), reload));
    return;
  }

  let role: Role | undefined;
  if (!(await attempt(status, async () => ({ role } = await clients.roles.getRole({ roleId }))))) return;
  if (role === undefined) return;
  main.append(
    h("p", {}, h("a", { href: "#/roles" }, "← Roles")),
    h("h1", {}, role.name),
    h("p", {}, role.description),
    h("ul", { "aria-label": "Permissions" }, ...role.permissions.map((p) => h("li", {}, p))),
  );
  if (writable) {
    main.append(
      roleForm(
        "Save role",
        role,
        (v) =>
          clients.roles.updateRole({
            role: { id: roleId, ...v },
            updateMask: { paths: ["name", "description", "permissions"] },
          }),
        () => {
          announce("Role saved");
          reload();
        },
      ),
    );
    const remove = h("button", { type: "button" }, "Delete role");
    const removal = h("section", { class: "card", "aria-label": "Delete role" }, errorSlot(), remove);
    remove.addEventListener("click", () => {
      if (!window.confirm(`Delete the role ${role?.name}? Its holders lose its permissions.`)) return;
      void attempt(removal, () => clients.roles.deleteRole({ roleId })).then((ok) => {
        if (ok) location.hash = "#/roles";
      });
    });
    main.append(removal);
  }
  if (can(session, scopeUsersRead)) {
    const { users, totalSize } = await clients.roles.listRoleUsers({ roleId, pageSize: 100 });
    main.append(
      h(
        "section",
        { class: "card", "aria-labelledby": "s-holders" },
        h("h2", { id: "s-holders" }, `Held by ${totalSize} users`),
        h(
          "ul",
          {},
          ...users.map((u) => h("li", {}, h("a", { href: `#/users/${encodeURIComponent(u.id)}` }, u.username || u.id))),
        ),
      ),
    );
  }
}
