import { timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { ConnectError, Code } from "@connectrpc/connect";
import { UserLogActorType, UserLogEvent, UserLogResult, type UserLog } from "@roster/client/contract";
import { field, formatTime, h, select, rowForm } from "./dom.js";
import { attempt, errorSlot, showError } from "./errors.js";
import type { Screen } from "./main.js";

const events = Object.entries(UserLogEvent)
  .filter(([, v]) => typeof v === "number" && v !== UserLogEvent.UNSPECIFIED)
  .map(([name, v]) => [String(v), name.toLowerCase().replace(/_/g, " ")] as const);

function row(log: UserLog): HTMLTableRowElement {
  const actor =
    log.actor === undefined
      ? ""
      : `${UserLogActorType[log.actor.type]?.toLowerCase().replace(/_/g, " ") ?? ""} ${log.actor.id}`;
  return h(
    "tr",
    { "data-event": UserLogEvent[log.event] },
    h("td", {}, formatTime(log.createTime)),
    h("td", {}, UserLogEvent[log.event] ?? String(log.event)),
    h("td", {}, UserLogResult[log.result] ?? ""),
    h("td", {}, actor),
    h("td", {}, log.payload === undefined ? "" : JSON.stringify(log.payload)),
  );
}

/** A user's log: filtered pages by ListUserLogs, and new entries live through WatchUserLogs. */
export function renderLogs(screen: Screen, userId: string): HTMLElement {
  const { clients, signal } = screen;
  const event = select([["", "All events"], ...events]);
  const after = h("input", { type: "datetime-local" });
  const before = h("input", { type: "datetime-local" });
  const live = h("input", { type: "checkbox", checked: true });
  const body = h("tbody", {});
  const more = h("button", { type: "button", hidden: true }, "Older entries");
  const liveState = h("span", { class: "live", "aria-live": "polite" });
  const form = rowForm(
    "Show",
    field("Event", event, "events"),
    field("From", after, "start_time"),
    field("Until", before, "end_time"),
    field("Live", live),
  );
  const panel = h(
    "section",
    { class: "card", "aria-labelledby": "s-logs" },
    h("h2", { id: "s-logs" }, "User log ", liveState),
    errorSlot(),
    form,
    h(
      "table",
      { class: "logs" },
      h(
        "thead",
        {},
        h("tr", {}, ...["Time", "Event", "Result", "Actor", "Details"].map((t) => h("th", { scope: "col" }, t))),
      ),
      body,
    ),
    more,
  );

  const filterEvents = () => (event.value === "" ? [] : [Number(event.value) as UserLogEvent]);
  let pageToken = "";
  async function list(reset: boolean): Promise<void> {
    await attempt(panel, async () => {
      const response = await clients.users.listUserLogs({
        userId,
        events: filterEvents(),
        startTime: after.value === "" ? undefined : timestampFromDate(new Date(after.value)),
        endTime: before.value === "" ? undefined : timestampFromDate(new Date(before.value)),
        pageSize: 50,
        pageToken: reset ? "" : pageToken,
      });
      if (reset) body.replaceChildren();
      body.append(...response.userLogs.map(row));
      pageToken = response.nextPageToken;
      more.hidden = pageToken === "";
    });
  }

  let watching: AbortController | undefined;
  async function watch(): Promise<void> {
    watching?.abort();
    if (!live.checked || before.value !== "") {
      liveState.textContent = "";
      return;
    }
    const stop = new AbortController();
    watching = stop;
    signal.addEventListener("abort", () => stop.abort(), { once: true });
    let from = timestampNow();
    // A resumed watch starts at the last entry's time, which it streams again.
    const seen = new Set<string>();
    // The server ends a stream at the call's deadline or a restart; it is resumed from the last entry seen.
    while (!stop.signal.aborted) {
      liveState.textContent = "(live)";
      try {
        for await (const { userLog } of clients.users.watchUserLogs(
          { userId, events: filterEvents(), startTime: from },
          { signal: stop.signal, timeoutMs: 3_600_000 },
        )) {
          if (userLog === undefined || seen.has(userLog.id)) continue;
          seen.add(userLog.id);
          body.prepend(row(userLog));
          if (userLog.createTime !== undefined) from = userLog.createTime;
        }
      } catch (err) {
        if (stop.signal.aborted) break;
        const error = ConnectError.from(err);
        if (error.code !== Code.DeadlineExceeded && error.code !== Code.Unavailable) {
          showError(panel, err);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
    liveState.textContent = "";
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void list(true).then(watch);
  });
  more.addEventListener("click", () => void list(false));
  void list(true).then(watch);
  return panel;
}
