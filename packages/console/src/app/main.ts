import { scopeRolesRead, scopeUsersRead } from "@roster/client/contract";
import { append, h } from "./dom.js";
import { attempt, errorSlot } from "./errors.js";
import { createClients, type Clients } from "./rpc.js";
import { can, clearSession, loadSession, saveSession, sessionOf, type Session } from "./session.js";
import { renderRoles } from "./roles-page.js";
import { renderUser } from "./user-page.js";
import { renderUsers } from "./users-page.js";
import "./styles.css";

/** What every screen gets: the signed-in session, clients, and the element to draw into. */
export interface Screen {
  session: Session;
  clients: Clients;
  main: HTMLElement;
  /** Aborted when the screen is left (ends live streams). */
  signal: AbortSignal;
}

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;
let leaving = new AbortController();

function signIn(): void {
  nav.replaceChildren();
  who.replaceChildren();
  const input = h("input", {
    type: "password",
    name: "credential",
    autocomplete: "off",
    required: true,
    spellcheck: "false",
  });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h(
      "p",
      {},
      "Paste a management API key or an access token. It is kept in this tab only, until you sign out or close it.",
    ),
    errorSlot(),
    h(
      "div",
      { class: "field", "data-field": "credential" },
      h("label", { for: "credential" }, "Credential"),
      input,
      h("span", { class: "field-error", role: "alert" }),
    ),
    h("button", { type: "submit" }, "Sign in"),
  );
  input.id = "credential";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let session: Session;
    try {
      session = sessionOf(input.value);
    } catch {
      form.querySelector<HTMLElement>("[data-field=credential] .field-error")!.textContent =
        "not an API key or a readable access token";
      return;
    }
    const clients = createClients(session);
    // A harmless call the credential's scopes allow tells at once whether the services accept it.
    void attempt(form, async () => {
      if (can(session, scopeUsersRead)) await clients.users.searchUsers({ pageSize: 1 });
      else if (can(session, scopeRolesRead)) await clients.roles.listRoles({ pageSize: 1 });
    }).then((ok) => {
      if (!ok) return;
      saveSession(session);
      input.value = "";
      route();
    });
  });
  main.replaceChildren(form);
  input.focus();
}

function drawChrome(session: Session): void {
  const links: [string, string, boolean][] = [
    ["#/users", "Users", can(session, scopeUsersRead)],
    ["#/roles", "Roles", can(session, scopeRolesRead)],
  ];
  nav.replaceChildren(
    ...links
      .filter(([, , shown]) => shown)
      .map(([href, text]) =>
        h("a", { href, "aria-current": location.hash.startsWith(href) ? "page" : undefined }, text),
      ),
  );
  const label = session.kind === "api-key" ? "API key" : `access token of ${session.subject ?? "?"}`;
  who.replaceChildren(
    h("span", { title: [...session.scopes].join(" ") }, `${label} · ${session.scopes.size} scopes`),
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: () => {
          clearSession();
          location.hash = "";
          signIn();
        },
      },
      "Sign out",
    ),
  );
}

async function route(): Promise<void> {
  leaving.abort();
  leaving = new AbortController();
  const session = loadSession();
  if (session === undefined) {
    signIn();
    return;
  }
  drawChrome(session);
  const screen: Screen = { session, clients: createClients(session), main, signal: leaving.signal };
  const [section = "users", id] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  main.replaceChildren();
  // Focus moves to the new screen now, not once its data has loaded: by then the user may have moved on.
  main.focus({ preventScroll: true });
  if (section === "users" && id !== undefined && id !== "") await renderUser(screen, id);
  else if (section === "roles") await renderRoles(screen, id);
  else if (can(session, scopeUsersRead)) await renderUsers(screen);
  else append(main, h("p", {}, "This credential may not read users."));
}

window.addEventListener("hashchange", () => void route());
void route();
