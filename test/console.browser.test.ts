// The web console in a real browser (Debian's chromium, driven by
// playwright-core): sign in, search, suspend with the entry arriving live,
// create a token and copy its secret, and a read-only credential's view.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopeLogsRead, scopeRolesRead, scopeTokensRead, scopeUsersRead } from "@roster/client";
import { stackInfo } from "./helpers/stack-info.js";
import { rosterClients, newPat, uniqueName, userWithPermissions, type RosterClients } from "./helpers/tokens.js";

const stack = stackInfo();
const consoleUrl = `http://127.0.0.1:${stack.user.http}/console/`;
const screenshots = fileURLToPath(new URL("./.output/console/", import.meta.url));

describe("the web console in a browser", () => {
  let browser: Browser;
  let clients: RosterClients;

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    clients = rosterClients(stack, stack.apiKey);
    // No fallback to a downloaded browser: a machine without chromium fails here.
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    clients?.close();
  });

  async function signedIn(credential: string, permissions: string[] = []): Promise<Page> {
    const context = await browser.newContext({ permissions });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(consoleUrl);
    await page.getByLabel("Credential").fill(credential);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    return page;
  }

  it("when a support person signs in with an API key then they find a user by a misspelt name, copy a new token's secret, and suspend them live", async () => {
    const tag = uniqueName("").slice(0, 6);
    const username = uniqueName("console_");
    await clients.users.createUser({ username, name: `Bartholomew Quigglesworth${tag}` });

    const page = await signedIn(stack.apiKey, ["clipboard-read", "clipboard-write"]);
    // The credential is kept for the tab only, and never in the address.
    expect(page.url()).not.toContain(stack.apiKey);
    expect(await page.evaluate("localStorage.length")).toBe(0);
    await page.screenshot({ path: `${screenshots}sign-in-done.png` });

    await page.getByLabel("Search", { exact: true }).fill(`Bartolomew Quiglesworth${tag}`);
    await page.getByLabel("Search in").selectOption({ label: "Name" });
    await page.getByLabel("Match mode").selectOption({ label: "Similar to (misspellings)" });
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const link = page.getByRole("link", { name: username });
    await link.waitFor();
    expect(Number(await page.locator(".total").getAttribute("data-total"))).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${screenshots}users.png`, fullPage: true });

    await link.click();
    await page.getByRole("heading", { name: username }).waitFor();
    const tokens = page.getByRole("region", { name: "Personal access tokens" });
    await tokens.getByLabel("Name").fill("deploy-bot");
    await tokens.getByLabel("Scopes").fill("");
    await tokens.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("button", { name: "Copy secret" }).waitFor();
    const shown = (await page.locator("#new-secret").textContent()) ?? "";
    await page.getByRole("button", { name: "Copy secret" }).click();
    await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toBe(shown);
    await tokens.getByRole("cell", { name: "deploy-bot", exact: true }).waitFor();
    await page.screenshot({ path: `${screenshots}tokens.png`, fullPage: true });

    // The secret the page showed is the real one: it exchanges for an access token.
    const exchanged = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: shown });
    expect(exchanged.accessToken.split(".")).toHaveLength(3);

    await page.locator("#s-logs", { hasText: "(live)" }).waitFor();
    // The user has never been suspended: a suspension entry can only come from the live stream.
    expect(await page.locator('tr[data-event="USER_SUSPENDED"]').count()).toBe(0);
    await page.getByLabel("Reason (optional)").fill("chargeback");
    await page.getByRole("button", { name: "Suspend", exact: true }).click();
    await page.locator('tr[data-event="USER_SUSPENDED"]').waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Unsuspend" }).waitFor();
    expect(await page.locator('[data-fact="Status"]').textContent()).toBe("suspended");
    await page.screenshot({ path: `${screenshots}user.png`, fullPage: true });

    const { user } = await clients.users.getUser({
      userId: (await clients.users.searchUsers({ query: username })).users[0]?.id ?? "",
    });
    expect(user?.suspended).toBe(true);

    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("heading", { name: "Roles" }).waitFor();
    await page.screenshot({ path: `${screenshots}roles.png`, fullPage: true });
    await page.context().close();
  });

  it("when the services refuse an input then the page shows the ErrorInfo reason and the violation beside the field named", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(consoleUrl);
    await page.screenshot({ path: `${screenshots}sign-in.png` });
    await page.getByLabel("Credential").fill("not-a-configured-key-0123456789");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator(".form-error").getAttribute("data-reason")).toBe("INVALID_CREDENTIAL");
    expect(await page.evaluate("sessionStorage.length")).toBe(0);

    // By keyboard: Enter in the credential field signs in, and a focused section link opens with Enter.
    await page.getByLabel("Credential").fill(stack.apiKey);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("link", { name: "Roles" }).focus();
    await page.keyboard.press("Enter");
    const create = page.getByRole("form", { name: "Create role" });
    await create.getByLabel("Name").fill(uniqueName("console-role-"));
    await create.getByLabel("Permissions (one per line)").fill("orders:read\nOrders!");
    await create.getByRole("button", { name: "Create role" }).click();
    const permissions = create.locator('[data-field="permissions"]');
    await expect.poll(() => permissions.locator(".field-error").textContent()).not.toBe("");
    expect(await permissions.locator("textarea").getAttribute("aria-invalid")).toBe("true");
    expect(await create.locator(".form-error").getAttribute("data-reason")).toBe("INVALID_PERMISSION");
    expect(await create.locator(".form-error").textContent()).toContain("(INVALID_ARGUMENT)");
    await page.screenshot({ path: `${screenshots}roles-error.png`, fullPage: true });

    // Custom data that is not a JSON object is caught beside the editor and never sent.
    const { user } = await clients.users.createUser({ username: uniqueName("console_json_") });
    await page.goto(`${consoleUrl}#/users/${user?.id ?? ""}`);
    const editor = page.getByLabel("Custom data (JSON object)");
    await editor.fill('{"plan": ');
    await page.getByRole("button", { name: "Save custom data" }).click();
    await expect.poll(() => editor.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator('[data-field="custom_data"] .field-error').textContent()).toContain("not valid JSON");
    expect((await clients.users.getUser({ userId: user?.id ?? "" })).user?.customData ?? {}).toEqual({});
    await editor.fill('{"plan": "gold"}');
    await page.getByRole("button", { name: "Save custom data" }).click();
    await expect
      .poll(async () => (await clients.users.getUser({ userId: user?.id ?? "" })).user?.customData)
      .toEqual({ plan: "gold" });
    await context.close();
  });

  it("when more users match than fit a page then Next and Previous follow the cursor and the total stays", async () => {
    const prefix = uniqueName("console_page_");
    await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        clients.users.createUser({ username: `${prefix}_${String(i).padStart(2, "0")}` }),
      ),
    );
    const page = await signedIn(stack.apiKey);
    await page.getByLabel("Search", { exact: true }).fill(prefix);
    await page.getByText("Filters and sort").click();
    await page.getByLabel("Sort by").selectOption({ label: "Username" });
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const rows = page.locator(".results tbody tr");
    // The screen opens on every user; the search's own total tells its page has arrived.
    await expect.poll(() => page.locator(".total").getAttribute("data-total")).toBe("21");
    expect(await rows.count()).toBe(20);
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().locator("td").first().textContent()).toBe(`${prefix}_20`);
    expect(await page.locator(".total").getAttribute("data-total")).toBe("21");
    expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous" }).click();
    await expect.poll(() => rows.count()).toBe(20);
    expect(await rows.first().locator("td").first().textContent()).toBe(`${prefix}_00`);
    await page.context().close();
  });

  it("when a user's stored data holds markup then every screen shows it as text and runs none of it", async () => {
    const markup = '<img src=x onerror="window.__injected=1"><script>window.__injected=2</script>';
    const { user } = await clients.users.createUser({
      username: uniqueName("console_xss_"),
      name: markup,
      customData: { note: `</textarea>${markup}` },
    });
    await clients.users.suspendUser({ userId: user?.id ?? "", reason: markup });
    const page = await signedIn(stack.apiKey);
    await page.getByLabel("Search", { exact: true }).fill(user?.username ?? "");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("cell", { name: markup, exact: true }).waitFor();
    await page.getByRole("link", { name: user?.username ?? "" }).click();
    await page.locator('tr[data-event="USER_SUSPENDED"]').waitFor();
    expect(await page.locator('[data-fact="Name"]').textContent()).toBe(markup);
    expect(await page.getByLabel("Custom data (JSON object)").inputValue()).toContain("</textarea>");
    expect(await page.locator("main img, main script").count()).toBe(0);
    expect(await page.evaluate("window.__injected")).toBeUndefined();
    await page.context().close();
  });

  it("when a read-only access token signs in then no write action is offered", async () => {
    const readScopes = [scopeUsersRead, scopeLogsRead, scopeTokensRead, scopeRolesRead];
    const holder = await userWithPermissions(clients, readScopes);
    const { secret } = await newPat(clients, holder, readScopes);
    const { accessToken } = await clients.tokens.exchangePersonalAccessToken({ personalAccessToken: secret });
    const username = uniqueName("console_ro_");
    await clients.users.createUser({ username });

    const page = await signedIn(accessToken);
    await page.getByLabel("Search", { exact: true }).fill(username);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("link", { name: username }).click();
    await page.getByRole("heading", { name: username }).waitFor();
    await page.getByRole("region", { name: "Personal access tokens" }).waitFor();
    await page.locator("#s-logs").waitFor();
    for (const name of [
      "Suspend",
      "Delete user",
      "Save profile",
      "Save custom data",
      "Set password",
      "Issue reset code",
      "Create token",
      "Assign role",
    ]) {
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
    }
    await page.screenshot({ path: `${screenshots}read-only-user.png`, fullPage: true });

    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("heading", { name: "Roles" }).waitFor();
    expect(await page.getByRole("button", { name: "Create role" }).count()).toBe(0);
    await page.context().close();
  });
});
