import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { scopeTokensWrite, type PersonalAccessToken } from "@roster/client/contract";
import { field, formatTime, h, announce, rowForm } from "./dom.js";
import { attempt, errorSlot } from "./errors.js";
import type { Screen } from "./main.js";
import { can } from "./session.js";

/** A user's personal access tokens: list, create (secret shown once), rename, delete. */
export async function renderTokens(screen: Screen, userId: string): Promise<HTMLElement> {
  const { clients, session } = screen;
  const writable = can(session, scopeTokensWrite);
  const body = h("tbody", {});
  const panel = h(
    "section",
    { class: "card", "aria-labelledby": "s-tokens" },
    h("h2", { id: "s-tokens" }, "Personal access tokens"),
    errorSlot(),
  );

  async function refresh(): Promise<void> {
    await attempt(panel, async () => {
      const { personalAccessTokens } = await clients.tokens.listPersonalAccessTokens({ userId, pageSize: 100 });
      body.replaceChildren(...personalAccessTokens.map(row));
    });
  }

  function row(pat: PersonalAccessToken): HTMLTableRowElement {
    const cells = [
      pat.name,
      pat.hint,
      pat.scopes.join(" ") || "—",
      formatTime(pat.createTime),
      formatTime(pat.expireTime),
      formatTime(pat.lastUseTime),
    ];
    const actions = writable
      ? h(
          "td",
          {},
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                const name = window.prompt("New name", pat.name);
                if (name === null) return;
                void attempt(panel, () =>
                  clients.tokens.updatePersonalAccessToken({
                    personalAccessToken: { id: pat.id, userId, name },
                    updateMask: { paths: ["name"] },
                  }),
                ).then((ok) => {
                  if (ok) void refresh();
                });
              },
            },
            `Rename ${pat.name}`,
          ),
          " ",
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                if (!window.confirm(`Delete the token ${pat.name}? Anything using it stops working.`)) return;
                void attempt(panel, () => clients.tokens.deletePersonalAccessToken({ userId, tokenId: pat.id })).then(
                  (ok) => {
                    if (ok) void refresh();
                  },
                );
              },
            },
            `Delete ${pat.name}`,
          ),
        )
      : false;
    return h("tr", {}, ...cells.map((c) => h("td", {}, c)), actions);
  }

  panel.append(
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Name", "Hint", "Scopes", "Created", "Expires", "Last used"].map((t) => h("th", { scope: "col" }, t)),
          writable && h("th", { scope: "col" }, "Actions"),
        ),
      ),
      body,
    ),
  );

  if (writable) {
    const name = h("input", { type: "text", maxlength: 128 });
    const scopes = h("input", { type: "text", placeholder: "space-separated, e.g. orders:read" });
    const expires = h("input", { type: "datetime-local" });
    const secret = h("output", { class: "secret", id: "new-secret" });
    const copy = h("button", { type: "button", hidden: true }, "Copy secret");
    copy.addEventListener("click", () => {
      void navigator.clipboard.writeText(secret.textContent ?? "").then(
        () => announce("Secret copied"),
        () => announce("Copy failed: select the secret and copy it by hand"),
      );
    });
    const form = rowForm(
      "Create token",
      field("Name", name, "name"),
      field("Scopes", scopes, "scopes"),
      field("Expires", expires, "expire_time"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void attempt(panel, async () => {
        const created = await clients.tokens.createPersonalAccessToken({
          userId,
          name: name.value,
          scopes: scopes.value.split(/\s+/).filter((s) => s !== ""),
          expireTime: expires.value === "" ? undefined : timestampFromDate(new Date(expires.value)),
        });
        secret.textContent = created.secret;
        copy.hidden = false;
        name.value = "";
        announce("Token created; its secret is shown once");
      }).then((ok) => {
        if (ok) void refresh();
      });
    });
    panel.append(form, h("p", {}, "New secret (shown once): ", secret, " ", copy));
  }
  await refresh();
  return panel;
}
